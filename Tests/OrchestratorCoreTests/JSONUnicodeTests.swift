import OrchestratorCore
import Testing

/// RFC 8259 §8.1: JSON text is UTF-8; §8.2: an unpaired surrogate escape has no defined meaning.
/// Both are refused, so what is stored is exactly what was sent.
@Suite("JSON: UTF-8 and surrogates")
struct JSONUnicodeTests {
    /// A JSON string literal around raw bytes.
    private static func literal(_ inner: [UInt8]) -> [UInt8] { [0x22] + inner + [0x22] }

    @Test(arguments: [
        [0xC3, 0xA9],                   // é
        [0xE2, 0x82, 0xAC],             // €
        [0xF0, 0x9F, 0x98, 0x80],       // 😀
        [0xED, 0x9F, 0xBF],             // U+D7FF, just below the surrogates
        [0xEE, 0x80, 0x80],             // U+E000, just above
        [0xEF, 0xBF, 0xBF],             // U+FFFF
        [0xF4, 0x8F, 0xBF, 0xBF],       // U+10FFFF, the last code point
        [0xE0, 0xA0, 0x80],             // U+0800, the first 3-byte one
        [0xF0, 0x90, 0x80, 0x80],       // U+10000, the first 4-byte one
    ] as [[UInt8]])
    func acceptsWellFormedUTF8(_ sequence: [UInt8]) throws {
        let document = Self.literal(sequence)
        #expect(try JSONScanner.validate(document) == .string)
        #expect(Array(try JSONScanner.decodeString(document).utf8) == sequence)
    }

    @Test(arguments: [
        ([0x80], "continuation"),                       // continuation byte without a lead
        ([0xBF], "continuation"),
        ([0xC0, 0x80], "overlong"),                     // NUL in two bytes
        ([0xC1, 0xBF], "overlong"),
        ([0xE0, 0x80, 0x80], "overlong"),
        ([0xE0, 0x9F, 0xBF], "overlong"),
        ([0xF0, 0x80, 0x80, 0x80], "overlong"),
        ([0xF0, 0x8F, 0xBF, 0xBF], "overlong"),
        ([0xED, 0xA0, 0x80], "surrogate"),              // U+D800 encoded directly
        ([0xED, 0xBF, 0xBF], "surrogate"),              // U+DFFF
        ([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80], "surrogate"),  // CESU-8 pair
        ([0xF4, 0x90, 0x80, 0x80], "U+10FFFF"),         // U+110000
        ([0xF5, 0x80, 0x80, 0x80], "U+10FFFF"),
        ([0xFF], "never appears"),
        ([0xFE], "never appears"),
        ([0xF8, 0x88, 0x80, 0x80, 0x80], "never appears"),  // the old 5-byte form
        ([0xC3], "truncated"),                          // an ASCII byte where a continuation belongs
        ([0xE2, 0x82], "truncated"),
        ([0xF0, 0x9F, 0x98], "truncated"),
        ([0xC3, 0x41], "truncated"),
        ([0xE2, 0x28, 0xA1], "truncated"),
    ] as [([UInt8], String)])
    func refusesMalformedUTF8InStrings(_ sequence: [UInt8], reason: String) {
        let document = [UInt8](#"{"a": "x"#.utf8) + sequence + [UInt8](#"y"}"#.utf8)
        do {
            _ = try JSONScanner.validate(document)
            Issue.record("accepted \(sequence)")
        } catch {
            #expect(error.reason.contains("UTF-8"), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.offset == 8, "the error points at the first byte of the sequence: \(error)")
        }
    }

    @Test func refusesMalformedUTF8InMemberNamesAndAtTheEnd() {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.topLevelMembers([UInt8](#"{""#.utf8) + [0xC3, 0x28] + [UInt8](#"": 1}"#.utf8)) }
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate([0x22, 0xE2, 0x82]) }
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate([0x22, 0xC3]) }
    }

    @Test(arguments: [
        #""\ud800""#, #""\uDBFF""#, #""\udc00""#, #""\uDFFF x""#, #""\ud800\u0041""#, #""\ud800x""#,
        #""\ud800\ud800""#, #""\udc00\ud800""#, #""\ud800\""#, #""\ud800\n""#,
    ])
    func refusesLoneSurrogateEscapes(_ text: String) {
        do {
            _ = try JSONScanner.validate(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.contains("surrogate"), "\(error)")
        }
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.decodeString(Array(text.utf8)) }
    }

    @Test func acceptsSurrogatePairsInEitherCase() throws {
        #expect(try JSONScanner.decodeString(Array(#""\uD83D\uDE00\ud83d\ude00""#.utf8)) == "😀😀")
        #expect(try JSONScanner.decodeString(Array(#""\uDBFF\uDFFF""#.utf8)) == "\u{10FFFF}")
    }

    @Test func acceptedNonASCIIIsKeptByteForByte() throws {
        let input = #"{"名前": "Zoë 😀", "e": "\u00e9", "raw": "é"}"#
        let members = try JSONScanner.topLevelMembers(Array(#"{"input": "#.utf8) + Array(input.utf8) + [0x7D])
        #expect(Array(members["input"]!.text.utf8) == Array(input.utf8))
    }
}
