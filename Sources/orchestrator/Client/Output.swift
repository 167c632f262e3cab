import ArgumentParser
import Foundation

/// How the CLI prints: aligned tables and `key: value` lines for people, the API's JSON for
/// scripts; errors as one line on stderr.
enum Output {
    static func table(_ headers: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else {
            say("(none)")
            return
        }
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], min(cell.count, 60))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let clipped = cell.count > 60 ? String(cell.prefix(59)) + "…" : cell
                return index == cells.count - 1 ? clipped : clipped.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        say(line(headers))
        for row in rows { say(line(row)) }
    }

    static func fields(_ pairs: [(String, String?)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            guard let value else { continue }
            say((key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value)
        }
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    /// A JSON value as compact text (for output and error columns).
    static func text(_ value: Any?) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            // JSON true/false arrive as the boolean subclass of NSNumber; plain numbers do not.
            return type(of: number) == type(of: NSNumber(value: true)) ? (number.boolValue ? "true" : "false") : number.stringValue
        }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs a CLI command's body: a failed request prints one line and exits with 1.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        Output.error(error.description)
        throw ExitCode.failure
    }
}
