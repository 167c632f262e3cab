import Logging
import OrchestratorCore
import Redis

/// Wakes long polls of RunPod HTTP workers when an endpoint's queue may have work, without
/// polling: while polls wait on an endpoint, one blocking `BLMOVE <queue> <queue> RIGHT RIGHT`
/// (a rotation of a list onto itself: it moves nothing, but blocks until the list has an entry)
/// watches its queue, and every entry that arrives wakes the waiting polls, which then try to
/// claim. The watch of an endpoint ends when no poll waits on it.
actor QueueWatch {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private let store: JobStore
    private let logger: Logger
    private var waiters: [String: [Waiter]] = [:]
    private var watching: Set<String> = []
    private var nextID = 0

    init(store: JobStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Returns when an entry arrived on `endpoint`'s queue, or the task was cancelled.
    func wait(endpoint: String) async {
        nextID += 1
        let id = nextID
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[endpoint, default: []].append(Waiter(id: id, continuation: continuation))
                if !watching.contains(endpoint) {
                    watching.insert(endpoint)
                    Task { await self.watch(endpoint) }
                }
            }
        } onCancel: {
            Task { await self.leave(endpoint, id: id) }
        }
    }

    private func leave(_ endpoint: String, id: Int) {
        guard let index = waiters[endpoint]?.firstIndex(where: { $0.id == id }) else { return }
        waiters[endpoint]?.remove(at: index).continuation.resume()
    }

    private func wakeAll(_ endpoint: String) {
        for waiter in waiters.removeValue(forKey: endpoint) ?? [] { waiter.continuation.resume() }
    }

    /// The watch of one endpoint: runs while polls wait on it.
    private func watch(_ endpoint: String) async {
        let connection = store.makeBlockingConnection(name: "take-watch-\(endpoint)")
        defer {
            connection.close()
        }
        let queue = store.keys.endpoint(endpoint).queue
        var failures = 0
        while !(waiters[endpoint]?.isEmpty ?? true) {
            do {
                let arrived = try await connection.send(RedisCommand("BLMOVE", queue, queue, "RIGHT", "RIGHT", 1), blockingFor: .seconds(1))
                failures = 0
                if !arrived.isNull {
                    wakeAll(endpoint)
                    // Let the woken polls claim before looking again (the entry is still there).
                    try? await Task.sleep(for: .milliseconds(20))
                }
            } catch {
                failures += 1
                if failures == 1 { logger.debug("queue watch failed; polls will retry", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"]) }
                wakeAll(endpoint)
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 4)), 1000)))
            }
        }
        watching.remove(endpoint)
    }
}
