import ChildProcess
import Foundation
import Logging
import OrchestratorCore
import Synchronization

/// N long-lived handler processes, started once (a model loads once, as GPU handlers need),
/// each taking one job at a time as a JSON line on stdin and answering with result lines
/// on stdout. A process that dies mid-job fails that job ("handler process died") and is
/// restarted with backoff; a timeout or cancel kills it, and it is restarted too.
public final class PersistentRuntime: JobRuntime {
    public let name = "persistent"
    public let handler: String
    public let size: Int
    /// Longest stdout line (bytes) a handler may print; a longer one fails the job.
    public let maxOutputBytes: Int
    private let logger: Logger
    private let pool: ProcessPool

    public init(
        handler: String, size: Int, maxOutputBytes: Int = OutputLimit.defaultBytes,
        logger: Logger = Logger(label: "orchestrator.worker.persistent")
    ) {
        self.handler = handler
        self.size = max(1, size)
        self.maxOutputBytes = maxOutputBytes
        self.logger = logger
        self.pool = ProcessPool()
    }

    public func start() async throws {
        for index in 0..<size {
            let process = try HandlerProcess.spawn(handler: handler, index: index, maxOutputBytes: maxOutputBytes, logger: logger)
            await pool.put(process)
        }
        logger.info("persistent handlers started", metadata: ["count": "\(size)", "handler": "\(handler)"])
    }

    public func shutdown() async {
        for process in await pool.drain() { process.stop() }
    }

    public func run(_ context: JobContext) async -> RunResult {
        let process = await pool.take()
        let result = await process.execute(context)
        if process.isAlive {
            await pool.put(process)
        } else {
            replace(process, index: process.index)
        }
        return result
    }

    /// Starts a new process in place of a dead one, with capped exponential backoff while
    /// starting fails or the new process dies at once, so a broken handler cannot spin.
    private func replace(_ dead: HandlerProcess, index: Int) {
        let handler = handler, logger = logger, pool = pool, maxOutputBytes = maxOutputBytes
        let restarts = dead.restarts + 1
        dead.closeInput()
        Task {
            var delay = Duration.milliseconds(100) * (1 << min(restarts - 1, 7))
            delay = min(delay, .seconds(10))
            if dead.livedBriefly { try? await Task.sleep(for: delay) }
            while true {
                do {
                    let process = try HandlerProcess.spawn(
                        handler: handler, index: index, maxOutputBytes: maxOutputBytes, logger: logger, restarts: restarts)
                    logger.notice("handler process restarted", metadata: ["index": "\(index)", "pid": "\(process.pid)"])
                    await pool.put(process)
                    return
                } catch {
                    logger.error("cannot restart handler process", metadata: ["index": "\(index)", "error": "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(10))
                }
            }
        }
    }
}

/// Idle handler processes; `take` waits while all are busy or restarting.
private actor ProcessPool {
    private var idle: [HandlerProcess] = []
    private var waiters: [CheckedContinuation<HandlerProcess, Never>] = []

    func take() async -> HandlerProcess {
        if !idle.isEmpty { return idle.removeFirst() }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func put(_ process: HandlerProcess) {
        if waiters.isEmpty {
            idle.append(process)
        } else {
            waiters.removeFirst().resume(returning: process)
        }
    }

    func drain() -> [HandlerProcess] {
        defer { idle.removeAll() }
        return idle
    }
}

/// One long-lived handler process. Its stdout reader thread sends lines to whichever job is
/// current; lines printed between jobs are logged.
final class HandlerProcess: Sendable {
    let index: Int
    let restarts: Int
    private let child: ChildProcess
    private let writer: LineWriter
    private let stderrTail = OutputTail()
    private let startedAt = ContinuousClock.now
    private let current = Mutex<AsyncStream<OutputLine>.Continuation?>(nil)
    private let ended = Mutex(false)
    /// Set when we killed it (timeout, cancel): it must be replaced even before its end shows.
    private let killed = Mutex(false)

    var pid: pid_t { child.pid }
    var isAlive: Bool { !killed.withLock { $0 } && !ended.withLock { $0 } && child.poll() == nil }
    /// True when the process lived under 5 s: its restart is delayed.
    var livedBriefly: Bool { ContinuousClock.now - startedAt < .seconds(5) }

    private init(child: ChildProcess, index: Int, restarts: Int) {
        self.child = child
        self.index = index
        self.restarts = restarts
        self.writer = LineWriter(child.standardInput!, name: "handler-\(index)-stdin")
    }

    static func spawn(handler: String, index: Int, maxOutputBytes: Int, logger: Logger, restarts: Int = 0) throws -> HandlerProcess {
        let child = try ChildProcess.spawn("/bin/sh", arguments: ["-c", handler], stdin: .pipe, stdout: .pipe, stderr: .pipe)
        let process = HandlerProcess(child: child, index: index, restarts: restarts)
        LineReader.start(child.standardError!, name: "handler-\(index)-stderr", maxLineBytes: maxOutputBytes, onLine: { [process] output in
            let line = output.loggedText
            process.stderrTail.append(line)
            logger.info("handler stderr", metadata: ["handler": "\(index)", "line": "\(line)"])
        }, onEnd: { [process] in process.stderrTail.markEnded() })
        LineReader.start(child.standardOutput!, name: "handler-\(index)-stdout", maxLineBytes: maxOutputBytes, onLine: { [process] output in
            if let sink = process.current.withLock({ $0 }) {
                sink.yield(output)
            } else {
                logger.info("handler stdout between jobs", metadata: ["handler": "\(index)", "line": "\(output.loggedText)"])
            }
        }, onEnd: { [process] in
            process.ended.withLock { $0 = true }
            process.current.withLock { $0 }?.finish()
        })
        return process
    }

    func execute(_ context: JobContext) async -> RunResult {
        let (lines, sink) = AsyncStream<OutputLine>.makeStream()
        let alreadyEnded = ended.withLock { ended in
            if !ended { current.withLock { $0 = sink } }
            return ended
        }
        if alreadyEnded {
            return .failure("handler process \(index) had died before the job reached it")
        }
        defer { current.withLock { $0 = nil } }
        do {
            try await writer.write(context.job.handlerRequest + "\n")
        } catch {
            stop()
            return .failure("handler process \(index) is gone (cannot write the job to its stdin: \(error))")
        }
        let ending = await HandlerConversation.collect(lines: lines, context: context) { [self] in
            stop()
        }
        switch ending {
        case .result(let result): return result
        case .cancelled: return .stopped
        case .timedOut: return .timedOut(HandlerConversation.timeoutMessage(context))
        case .outputTooLarge(let limit): return .failure(HandlerConversation.outputTooLargeMessage(limit: limit))
        case .endOfOutput:
            let status = await child.wait()
            killed.withLock { $0 = true }
            await stderrTail.waitForEnd()
            let stderrText = stderrTail.text.map { "; last stderr lines:\n\($0)" } ?? ""
            return .failure("handler process died during the job (\(status))\(stderrText)")
        }
    }

    /// Ends the stdin writer's thread (the process is gone or going).
    func closeInput() {
        writer.close()
    }

    /// Kills the process (its whole group) and reaps it in the background.
    func stop() {
        killed.withLock { $0 = true }
        child.signal(SIGKILL)
        writer.close()
        Thread.detachNewThread { [child] in _ = child.waitBlocking() }
    }
}
