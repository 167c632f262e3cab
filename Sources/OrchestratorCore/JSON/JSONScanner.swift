/// A strict RFC 8259 JSON validator that also reports where each top-level member's value
/// lies in the input, so job inputs and outputs are stored byte for byte as the client sent
/// them (a decode/encode round trip would change numbers and key order).
public struct JSONScanner {
    public struct SyntaxError: Error, Equatable, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// What the document's top level is.
    public enum Kind: Sendable, Equatable { case object, array, string, number, bool, null }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private static let maxDepth = 512

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Validates `bytes` as one JSON value (surrounding whitespace allowed) and returns its kind.
    public static func validate(_ bytes: [UInt8]) throws(SyntaxError) -> Kind {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        let kind = try scanner.value()
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.error("unexpected data after the value") }
        return kind
    }

    /// Validates `bytes` as a JSON object and returns each top-level member's value as raw text,
    /// with the kind of that value. Duplicate keys: the last one wins, as in most parsers.
    public static func topLevelMembers(_ bytes: [UInt8]) throws(SyntaxError) -> [String: (text: String, kind: Kind)] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.error("expected a JSON object") }
        scanner.index += 1
        scanner.depth = 1
        var members: [String: (text: String, kind: Kind)] = [:]
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.error("expected a member name") }
                let keyStart = scanner.index
                try scanner.string()
                let key = try decodeString(Array(bytes[keyStart..<scanner.index]))
                scanner.skipWhitespace()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                let valueStart = scanner.index
                let kind = try scanner.value()
                members[key] = (String(decoding: bytes[valueStart..<scanner.index], as: UTF8.self), kind)
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                try scanner.expect(UInt8(ascii: "}"))
                break
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.error("unexpected data after the object") }
        return members
    }

    /// Decodes the text of a JSON string literal (quotes included) into a Swift string.
    public static func decodeString(_ literal: [UInt8]) throws(SyntaxError) -> String {
        var scanner = JSONScanner(literal)
        try scanner.string()
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var i = 1
        let end = literal.count - 1
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll()
            }
        }
        while i < end {
            let byte = literal[i]
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                i += 1
                continue
            }
            flush()
            let escape = literal[i + 1]
            i += 2
            switch escape {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "u"):
                var code = hex4(literal, i)
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 5 < literal.count,
                   literal[i] == UInt8(ascii: "\\"), literal[i + 1] == UInt8(ascii: "u") {
                    let low = hex4(literal, i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(escape))
            }
        }
        flush()
        return String(scalars)
    }

    private static func hex4(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for byte in bytes[at..<at + 4] {
            value = value << 4 | UInt32(hexValue(byte) ?? 0)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: - Grammar

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func error(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value() throws(SyntaxError) -> Kind {
        guard let byte = peek else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): try container(close: UInt8(ascii: "}"), members: true); return .object
        case UInt8(ascii: "["): try container(close: UInt8(ascii: "]"), members: false); return .array
        case UInt8(ascii: "\""): try string(); return .string
        case UInt8(ascii: "t"): try literal("true"); return .bool
        case UInt8(ascii: "f"): try literal("false"); return .bool
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(); return .number
        default: throw error("unexpected character")
        }
    }

    private mutating func container(close: UInt8, members: Bool) throws(SyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
        index += 1
        skipWhitespace()
        if peek == close {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            if members {
                guard peek == UInt8(ascii: "\"") else { throw error("expected a member name") }
                try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
            }
            _ = try value()
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard peek == close else { throw error(members ? "expected ',' or '}'" : "expected ',' or ']'") }
            index += 1
            depth -= 1
            return
        }
    }

    private mutating func string() throws(SyntaxError) {
        index += 1
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = peek else { throw error("unterminated escape") }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let digit = peek, Self.hexValue(digit) != nil else { throw error("bad \\u escape") }
                        index += 1
                    }
                default:
                    throw error("bad escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                index += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw error("unexpected literal")
        }
        index += expected.count
    }

    private mutating func number() throws(SyntaxError) {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { throw error("bad number") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            digits()
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("bad fraction") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("bad exponent") }
        }
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = index
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }
}
