import ArgumentParser
import Foundation

/// How every option that also has an environment variable gets its value: the flag if given,
/// else the variable, else the built-in default.
///
/// The options are declared without a default (`var port: Int?`), so `--help` prints neither a
/// default taken from the environment nor any variable's value (an `ORCH_REDIS_URL` with its
/// password, `ORCH_API_KEYS`, `ORCH_WEBHOOK_SECRET`); the help text names the variable and the
/// built-in default instead. The variable is read in the options' `validate()`, right after
/// parsing and before anything runs, and a value that does not parse, or is out of range, is a
/// `ValidationError` naming where it came from: the role exits 64, as for a bad flag. An empty
/// variable counts as unset (compose files write `ORCH_X: ${ORCH_X:-}`).
enum Setting {
    /// The variable's text, nil when unset or empty.
    static func text(_ variable: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return nil }
        return value
    }

    /// `flag`, else `variable` parsed as `kind`, else nil (the caller's built-in default); and
    /// whichever was given must pass `check`, whose message completes "<source> must ...".
    static func resolve<T>(
        _ flag: T?, flag flagName: String, variable: String, _ kind: SettingKind<T>,
        check: ((T) -> String?)? = nil
    ) throws -> T? {
        let value: T?
        let source: String
        if let flag {
            (value, source) = (flag, flagName)
        } else {
            (value, source) = (try parse(variable, kind), variable)
        }
        if let value, let check, let problem = check(value) {
            throw ValidationError("\(source) \(problem)")
        }
        return value
    }

    /// The variable parsed as `kind`; nil when unset.
    static func parse<T>(_ variable: String, _ kind: SettingKind<T>) throws -> T? {
        guard let text = text(variable) else { return nil }
        guard let value = kind.parse(text) else {
            throw ValidationError("\(variable): \(kind.shows ? "'\(text)'" : "its value") is not \(kind.expected)")
        }
        return value
    }
}

/// What a variable's text must be, and how it becomes a value.
struct SettingKind<T> {
    let expected: String
    /// False for secrets: a refusal never repeats their text.
    var shows = true
    let parse: (String) -> T?
}

extension SettingKind where T == Int {
    static var wholeNumber: Self { Self(expected: "a whole number") { Int($0) } }
}

extension SettingKind where T == Double {
    static var number: Self { Self(expected: "a number") { Double($0).flatMap { $0.isFinite ? $0 : nil } } }
}

extension SettingKind where T == String {
    static var text: Self { Self(expected: "text") { $0 } }
    static var secret: Self { Self(expected: "text", shows: false) { $0 } }
}

extension SettingKind where T == Bool {
    static var flag: Self {
        Self(expected: "1/true/yes or 0/false/no") { text in
            switch text.lowercased() {
            case "1", "true", "yes", "on": true
            case "0", "false", "no", "off": false
            default: nil
            }
        }
    }
}

extension SettingKind where T == [String] {
    /// Comma-separated, blanks around items ignored, empty items dropped.
    static var list: Self {
        Self(expected: "a comma-separated list") { text in
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}

extension SettingKind {
    /// One of an enumeration's raw values.
    static func oneOf(_ type: T.Type) -> Self where T: CaseIterable & RawRepresentable, T.RawValue == String {
        Self(expected: "one of \(T.allCases.map(\.rawValue).joined(separator: ", "))") { T(rawValue: $0) }
    }
}

/// Range checks for ``Setting/resolve(_:flag:variable:_:check:)``, worded to follow the source's name.
enum Check {
    static func atLeast<N: Comparable>(_ minimum: N) -> (N) -> String? {
        { $0 >= minimum ? nil : "must be at least \(minimum), got \($0)" }
    }

    static func positive(_ value: Double) -> String? {
        value > 0 ? nil : "must be more than 0, got \(value)"
    }

    static func within<N: Comparable>(_ range: ClosedRange<N>) -> (N) -> String? {
        { range.contains($0) ? nil : "must be from \(range.lowerBound) to \(range.upperBound), got \($0)" }
    }
}
