import OrchestratorCore

/// A `/run-batch` body, validated as a whole: `{"jobs": [{"input": {...}, "webhook"?, ...}, ...]}`.
/// One bad job refuses the batch, naming its index, so a client never has to work out which
/// half of a batch was queued.
struct RunBatchRequest {
    let jobs: [RunRequest]

    /// Throws ``APIError`` (400, or 413 above `limit` jobs) saying exactly what is wrong.
    init(body: [UInt8], limit: Int) throws {
        let members: [String: (text: String, kind: JSONScanner.Kind)]
        do {
            members = try JSONScanner.topLevelMembers(body)
        } catch {
            throw APIError(.badRequest, "request body is not a JSON object: \(error)")
        }
        guard let list = members["jobs"], list.kind == .array else {
            throw APIError(.badRequest, "missing 'jobs': the body must look like {\"jobs\": [{\"input\": {...}}, ...]}")
        }
        guard let elements = try? JSONScanner.arrayElements(Array(list.text.utf8)) else {
            throw APIError(.badRequest, "'jobs' must be a JSON array of job objects")
        }
        guard !elements.isEmpty else { throw APIError(.badRequest, "'jobs' is empty: a batch needs at least one job") }
        guard elements.count <= limit else {
            throw APIError(.contentTooLarge, "'jobs' holds \(elements.count) jobs; a batch takes at most \(limit) (--max-batch)")
        }
        jobs = try elements.enumerated().map { index, element in
            guard element.kind == .object, let fields = try? JSONScanner.topLevelMembers(Array(element.text.utf8)) else {
                throw APIError(.badRequest, "jobs[\(index)]: each job must be a JSON object like {\"input\": {...}}")
            }
            do {
                return try RunRequest(members: fields)
            } catch let error as APIError {
                throw APIError(error.status, "jobs[\(index)]: \(error.message)")
            }
        }
    }
}
