/// A strict RFC 8259 JSON validator that also reports where each top-level member's value
/// lies in the input, so job inputs and outputs are stored byte for byte as the client sent
/// them (a decode/encode round trip would change numbers and key order).
///
/// Strict about text, too: a string must be well-formed UTF-8 (RFC 8259 §8.1; no overlong forms,
/// no encoded surrogates, nothing above U+10FFFF, no cut-off sequence), and a `\u` escape of a
/// UTF-16 surrogate must be a high one followed by a low one. RFC 8259 §8.2 leaves lone
/// surrogates "unpredictable" and Python's `json` accepts them, but they name no character, so
/// no UTF-8 text can store them: refusing them keeps "stored as sent" true.
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

    /// Validates `bytes` as a JSON array and returns each element as raw text, in order, with
    /// its kind (webhook templates walk job outputs without re-encoding them).
    public static func arrayElements(_ bytes: [UInt8]) throws(SyntaxError) -> [(text: String, kind: Kind)] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "[") else { throw scanner.error("expected a JSON array") }
        scanner.index += 1
        scanner.depth = 1
        var elements: [(text: String, kind: Kind)] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let start = scanner.index
                let kind = try scanner.value()
                elements.append((String(decoding: bytes[start..<scanner.index], as: UTF8.self), kind))
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                try scanner.expect(UInt8(ascii: "]"))
                break
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.error("unexpected data after the array") }
        return elements
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
                // Validated above: a high surrogate is followed by a low one.
                if (0xD800..<0xDC00).contains(code) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (hex4(literal, i + 2) - 0xDC00)
                    i += 6
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
                    try unicodeEscape()
                default:
                    throw error("bad escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            case 0x80...:
                try utf8Sequence()
            default:
                index += 1
            }
        }
        throw error("unterminated string")
    }

    /// `\uXXXX` (at the `u`), or a surrogate pair `\uD8XX\uDCXX`; a lone surrogate is refused.
    private mutating func unicodeEscape() throws(SyntaxError) {
        let start = index - 1
        let unit = try hexUnit()
        if (0xDC00..<0xE000).contains(unit) {
            index = start
            throw error("lone UTF-16 surrogate \\u\(Self.hex(unit)): a low surrogate must follow a high one")
        }
        guard (0xD800..<0xDC00).contains(unit) else { return }
        guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
            index = start
            throw error("lone UTF-16 surrogate \\u\(Self.hex(unit)): a high surrogate must be followed by a low one")
        }
        index += 1
        let low = try hexUnit()
        guard (0xDC00..<0xE000).contains(low) else {
            index = start
            throw error("lone UTF-16 surrogate \\u\(Self.hex(unit)): followed by \\u\(Self.hex(low)), not a low surrogate")
        }
    }

    /// The four hex digits after a `u` (at the `u`).
    private mutating func hexUnit() throws(SyntaxError) -> UInt32 {
        index += 1
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = peek, let nibble = Self.hexValue(digit) else { throw error("bad \\u escape") }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// One well-formed multi-byte UTF-8 sequence (RFC 3629 §4), at a byte ≥ 0x80. The second
    /// byte's range is what rules out overlong forms (E0, F0), surrogates (ED) and code points
    /// above U+10FFFF (F4); the error points at the sequence's first byte.
    private mutating func utf8Sequence() throws(SyntaxError) {
        let lead = bytes[index]
        let continuations: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: continuations = 1
        case 0xE0: continuations = 2; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: continuations = 2
        case 0xED: continuations = 2; second = 0x80...0x9F
        case 0xF0: continuations = 3; second = 0x90...0xBF
        case 0xF1...0xF3: continuations = 3
        case 0xF4: continuations = 3; second = 0x80...0x8F
        case 0x80...0xBF: throw error("invalid UTF-8: continuation byte 0x\(Self.byteHex(lead)) without a lead byte")
        case 0xC0, 0xC1: throw error("invalid UTF-8: overlong encoding (lead byte 0x\(Self.byteHex(lead)))")
        case 0xF5...0xF7: throw error("invalid UTF-8: lead byte 0x\(Self.byteHex(lead)) would encode a code point above U+10FFFF")
        default: throw error("invalid UTF-8: byte 0x\(Self.byteHex(lead)) never appears in UTF-8")
        }
        for position in 1...continuations {
            let next = index + position
            guard next < bytes.count, (0x80...0xBF).contains(bytes[next]) else {
                throw error("invalid UTF-8: truncated sequence (lead byte 0x\(Self.byteHex(lead)) needs \(continuations) continuation bytes)")
            }
            if position == 1 && !second.contains(bytes[next]) {
                switch lead {
                case 0xED: throw error("invalid UTF-8: a UTF-16 surrogate encoded as UTF-8 (0xED 0x\(Self.byteHex(bytes[next])))")
                case 0xF4: throw error("invalid UTF-8: code point above U+10FFFF (0xF4 0x\(Self.byteHex(bytes[next])))")
                default: throw error("invalid UTF-8: overlong encoding (0x\(Self.byteHex(lead)) 0x\(Self.byteHex(bytes[next])))")
                }
            }
        }
        index += continuations + 1
    }

    private static func byteHex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
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
