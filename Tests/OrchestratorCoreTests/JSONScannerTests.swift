import OrchestratorCore
import Testing

@Suite("JSON scanning and writing")
struct JSONScannerTests {
    @Test(arguments: [
        #"{}"#, #"[]"#, #"0"#, #"-1.5e+10"#, #""a\"b\u00e9\n""#, #"true"#, #"null"#,
        #" {"a": [1, 2, {"b": null}], "c": "d"} "#, #"[[[[]]]]"#,
    ])
    func acceptsValidJSON(_ text: String) throws {
        _ = try JSONScanner.validate(Array(text.utf8))
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, "01", "1.", "-", ".5", "tru", "nul", #""\x""#,
        "\"a\nb\"", "[1] [2]", #"{"a":1}}"#, "{'a':1}", "NaN", "[1 2]",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate(Array(text.utf8)) }
    }

    @Test func topLevelMembersKeepRawText() throws {
        let body = #"{"input": {"n": 1.50, "list": [], "big": 123456789012345678901234567890}, "webhook": "http://x/\u0041", "policy": {"ttl": 5}}"#
        let members = try JSONScanner.topLevelMembers(Array(body.utf8))
        #expect(members["input"]?.text == #"{"n": 1.50, "list": [], "big": 123456789012345678901234567890}"#)
        #expect(members["input"]?.kind == .object)
        #expect(members["webhook"]?.kind == .string)
        #expect(try JSONScanner.decodeString(Array(members["webhook"]!.text.utf8)) == "http://x/A")
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.topLevelMembers(Array("[1]".utf8)) }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONScanner.decodeString(Array(#""\ud83d\ude00 \t\\ \/""#.utf8)) == "😀 \t\\ /")
    }

    @Test func deepNestingIsRefusedNotCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate(Array(deep.utf8)) }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let text = "quote\" backslash\\ newline\n tab\t bell\u{07} ünï"
        let object = JSONText.object([("s", .string(text)), ("n", .int(-3)), ("raw", .raw("[1,{}]")), ("skip", nil), ("b", .bool(true))])
        #expect(object.hasPrefix(#"{"s":"quote\" backslash\\ newline\n tab\t bell\u0007 ünï","n":-3,"raw":[1,{}],"b":true}"#))
        let members = try JSONScanner.topLevelMembers(Array(object.utf8))
        #expect(try JSONScanner.decodeString(Array(members["s"]!.text.utf8)) == text)
    }
}
