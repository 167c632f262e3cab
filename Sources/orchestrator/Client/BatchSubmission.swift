import Foundation
import OrchestratorCore

/// `submit --batch`: a JSON Lines file of /run bodies, sent as /run-batch requests of `size`
/// jobs. Every line is checked before the first request, so a typo on line 90,000 queues
/// nothing; each request is all or nothing on the server.
struct BatchSubmission {
    let file: String
    let size: Int

    func submit(api: APIClient, path: String, json: Bool) async throws {
        let jobs = try lines()
        guard !jobs.isEmpty else { throw ClientError(description: "\(file) holds no jobs") }
        var ids: [String] = []
        for first in stride(from: 0, to: jobs.count, by: size) {
            let chunk = jobs[first..<min(first + size, jobs.count)]
            let answer: APIAnswer
            do {
                answer = try await api.send(.POST, path, body: "{\"jobs\":[" + chunk.joined(separator: ",") + "]}")
            } catch let error as ClientError {
                if !json { ids.forEach { say($0) } }
                let done = ids.isEmpty ? "nothing was queued" : "the \(ids.count) jobs before line \(first + 1) were queued (ids above)"
                throw ClientError(description: "\(error.description) (request for lines \(first + 1)-\(first + chunk.count); \(done))")
            }
            let queued = answer.object["ids"] as? [String] ?? []
            ids += queued
            if !json { queued.forEach { say($0) } }
        }
        if json { say(JSONText.object([("ids", .raw(JSONText.array(ids.map { .string($0) })))])) }
    }

    /// The non-blank lines, each a JSON object with an object `input`.
    private func lines() throws -> [String] {
        let data: Data?
        if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: file) }
        guard let data else { throw ClientError(description: "cannot read batch file \(file)") }
        var jobs: [String] = []
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], object["input"] is [String: Any] else {
                throw ClientError(description: "\(file):\(index + 1): each line must be a JSON object like {\"input\": {...}}")
            }
            jobs.append(line)
        }
        return jobs
    }
}
