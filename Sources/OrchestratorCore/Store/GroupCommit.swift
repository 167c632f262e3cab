/// Coalesces concurrent calls into batches (group commit): a call that finds a free slot sends
/// at once, alone; calls that arrive while `maxInFlight` batches are out wait, and the first of
/// them, once a slot frees, sends every waiting call as one batch. An idle system pays nothing
/// (no timer, no added latency); a busy one sends one script call for many jobs.
///
/// The batch is sent by a caller's own task (the leader), never by a task of its own.
public actor GroupCommit<Item: Sendable, Output: Sendable> {
    public typealias Send = @Sendable ([Item]) async throws -> [Output]

    private enum Turn {
        case done(Result<Output, any Error>)
        /// This caller sends the next batch.
        case lead
    }

    private struct Waiter {
        let item: Item
        let continuation: CheckedContinuation<Turn, Never>
    }

    private let maxBatch: Int
    private let maxInFlight: Int
    private let send: Send
    private var waiting: [Waiter] = []
    private var inFlight = 0

    public init(maxBatch: Int = 256, maxInFlight: Int = 1, send: @escaping Send) {
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
        self.send = send
    }

    /// Sends `item` (alone or with others) and returns its own output or error.
    public func run(_ item: Item) async throws -> Output {
        if inFlight < maxInFlight {
            inFlight += 1
            return try await lead(with: item)
        }
        switch await withCheckedContinuation({ waiting.append(Waiter(item: item, continuation: $0)) }) {
        case .done(let result): return try result.get()
        case .lead: return try await lead(with: item)
        }
    }

    private func lead(with item: Item) async throws -> Output {
        let followers = Array(waiting.prefix(maxBatch - 1))
        waiting.removeFirst(followers.count)
        let outputs: Result<[Output], any Error>
        do {
            let sent = try await send([item] + followers.map(\.item))
            outputs = sent.count == followers.count + 1 ? .success(sent) : .failure(GroupCommitError.replyCount(sent.count, followers.count + 1))
        } catch {
            outputs = .failure(error)
        }
        for (index, follower) in followers.enumerated() {
            follower.continuation.resume(returning: .done(outputs.map { $0[index + 1] }))
        }
        if waiting.isEmpty {
            inFlight -= 1
        } else {
            waiting.removeFirst().continuation.resume(returning: .lead)
        }
        return try outputs.get()[0]
    }
}

public enum GroupCommitError: Error, Sendable, CustomStringConvertible {
    case replyCount(Int, Int)

    public var description: String {
        switch self {
        case .replyCount(let got, let expected): "a batch of \(expected) calls got \(got) replies"
        }
    }
}
