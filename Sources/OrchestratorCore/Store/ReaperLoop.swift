import Logging

/// The reaper's turns: every `interval` (with jitter), whoever holds the lock runs a pass. Worker
/// managers run it, and so does the API (so RunPod HTTP workers without a manager are covered);
/// the lock makes one of them do it at a time. Runs until its task is cancelled.
public struct ReaperLoop: Sendable {
    let reaper: Reaper
    let holder: String
    let interval: Duration
    let maxRequeues: Int
    let logger: Logger

    public init(store: JobStore, holder: String, interval: Duration = .seconds(2), maxRequeues: Int, logger: Logger) {
        self.reaper = Reaper(store: store)
        self.holder = holder
        self.interval = interval
        self.maxRequeues = maxRequeues
        self.logger = logger
    }

    public func run() async {
        // The orphan sweep walks the job keys a page per reaper turn, so its cost stays small
        // and steady however many jobs there are.
        var orphanCursor = "0"
        while !Task.isCancelled {
            try? await Task.sleep(for: interval * Double.random(in: 0.8...1.2))
            if Task.isCancelled { break }
            do {
                guard try await reaper.acquireLock(workerID: holder, for: interval) else { continue }
                let pass = try await reaper.pass(maxRequeues: maxRequeues, orphanCursor: orphanCursor)
                orphanCursor = pass.cursor
                let summary = pass.summary
                if summary.orphans > 0 {
                    logger.warning("found jobs IN_PROGRESS that no live worker holds; recovered them", metadata: ["count": "\(summary.orphans)"])
                }
                if !summary.isEmpty {
                    logger.notice("reaper recovered work", metadata: [
                        "requeued": "\(summary.requeued)", "failed": "\(summary.failed)",
                        "expiredInQueue": "\(summary.expired)", "lostWorkers": "\(summary.workersRemoved)",
                        "returnedClaims": "\(summary.claimsReturned)",
                    ])
                }
            } catch {
                logger.warning("reaper pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
