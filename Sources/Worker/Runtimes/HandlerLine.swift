import OrchestratorCore

/// One line a handler printed on stdout, as the handler protocol reads it:
/// `{"output": ...}` or `{"error": "..."}` ends the job, `{"stream": ...}` is a partial
/// output, and anything else is ordinary printing (logged, never fatal).
enum HandlerLine: Equatable {
    case result(output: String)
    case error(message: String, output: String?)
    case stream(String)
    case other(String)

    init(_ line: String) {
        let bytes = Array(line.utf8)
        guard bytes.first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: "{"),
              let members = try? JSONScanner.topLevelMembers(bytes) else {
            self = .other(line)
            return
        }
        if let error = members["error"], error.kind != .null {
            let message = error.kind == .string ? ((try? JSONScanner.decodeString(Array(error.text.utf8))) ?? error.text) : error.text
            self = .error(message: message, output: members["output"]?.text)
        } else if let output = members["output"] {
            self = .result(output: output.text)
        } else if let chunk = members["stream"] {
            self = .stream(chunk.text)
        } else {
            self = .other(line)
        }
    }
}
