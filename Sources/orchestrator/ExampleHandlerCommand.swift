import ArgumentParser
import Foundation

/// `orchestrator example-handler`: the handler `dev` runs, so a newcomer sees jobs complete.
/// It speaks the handler protocol (a job JSON line in, result lines out) and does what the
/// input asks: `{"sleep": seconds}`, `{"fail": "message"}`, `{"stream": n}` (n partial
/// outputs), `{"exit": code}` (die at once), `{"stderr": "text"}`; it echoes the input back.
struct ExampleHandlerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-handler",
        abstract: "A demo job handler (echo, sleep, fail, stream) speaking the handler protocol on stdin/stdout."
    )

    func run() throws {
        while let line = readLine() {
            guard let job = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                emit(["error": "example-handler: expected a JSON object line, got \(line.prefix(100))"])
                continue
            }
            let input = job["input"] as? [String: Any] ?? [:]
            if let text = input["stderr"] as? String {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
            if let code = input["exit"] as? Int { Foundation.exit(Int32(code)) }
            if let chunks = input["stream"] as? Int {
                for index in 0..<chunks { emit(["stream": ["index": index]]) }
            }
            if let seconds = input["sleep"] as? Double { Thread.sleep(forTimeInterval: seconds) }
            if let message = input["fail"] as? String {
                emit(["error": message])
            } else {
                emit(["output": ["echo": input, "handledBy": "example-handler", "pid": Int(getpid())]])
            }
        }
    }

    private func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
