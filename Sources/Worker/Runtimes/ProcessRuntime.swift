import ChildProcess
import Foundation
import Logging
import OrchestratorCore

/// A new handler process per job: `sh -c <handler>`, the job JSON on stdin, the result on
/// stdout, stderr logged with the job id. The process runs in a group of its own, so a
/// timeout or cancel kills everything it started.
public struct ProcessRuntime: JobRuntime {
    public let name = "process"
    /// The command line, run by `/bin/sh -c`.
    public let handler: String
    /// Longest stdout line (bytes) a handler may print; a longer one fails the job.
    public let maxOutputBytes: Int

    public init(handler: String, maxOutputBytes: Int = OutputLimit.defaultBytes) {
        self.handler = handler
        self.maxOutputBytes = maxOutputBytes
    }

    public func start() async throws {}
    public func shutdown() async {}

    public func run(_ context: JobContext) async -> RunResult {
        await Self.run(arguments: ["/bin/sh", "-c", handler], context: context, maxOutputBytes: maxOutputBytes, describe: "handler")
    }

    /// Runs `arguments` for one job. `extraKill` also runs when the job is killed (the
    /// container runtime removes its container there). `describeExit` may explain an exit.
    static func run(
        arguments: [String],
        environment: [String: String]? = nil,
        context: JobContext,
        maxOutputBytes: Int,
        describe: String,
        extraKill: (@Sendable () -> Void)? = nil,
        describeExit: @escaping @Sendable (ChildProcess.ExitStatus) -> String? = { _ in nil }
    ) async -> RunResult {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(arguments[0], arguments: Array(arguments.dropFirst()), environment: environment, stdin: .pipe, stdout: .pipe, stderr: .pipe)
        } catch {
            return .failure("cannot start the \(describe): \(error)")
        }
        let jobID = context.job.id
        let logger = context.logger
        let stderrTail = OutputTail()
        LineReader.start(child.standardError!, name: "stderr-\(jobID.prefix(8))", maxLineBytes: maxOutputBytes, onLine: { output in
            let line = output.loggedText
            stderrTail.append(line)
            logger.info("handler stderr", metadata: ["job": "\(jobID)", "line": "\(line)"])
        }, onEnd: { stderrTail.markEnded() })
        let (lines, sink) = AsyncStream<OutputLine>.makeStream()
        LineReader.start(child.standardOutput!, name: "stdout-\(jobID.prefix(8))", maxLineBytes: maxOutputBytes, onLine: { sink.yield($0) }, onEnd: { sink.finish() })

        let request = Data((context.job.handlerRequest + "\n").utf8)
        let stdin = child.standardInput!
        Thread.detachNewThread {
            // EPIPE (a handler that exits without reading) is reported by the exit status.
            try? stdin.write(contentsOf: request)
            try? stdin.close()
        }

        let kill: @Sendable () -> Void = {
            child.signal(SIGKILL)
            extraKill?()
        }
        let ending = await HandlerConversation.collect(lines: lines, context: context, kill: kill)
        // After a result the handler should exit by itself; give it a moment, then make sure.
        if case .result = ending {
            let exited = await waitBriefly(child, for: .seconds(5))
            if !exited { kill() }
        }
        let status = await child.wait()
        if !status.succeeded { await stderrTail.waitForEnd() }
        let stderrText = stderrTail.text.map { "; last stderr lines:\n\($0)" } ?? ""
        switch ending {
        case .cancelled:
            return .stopped
        case .timedOut:
            return .timedOut(HandlerConversation.timeoutMessage(context))
        case .outputTooLarge(let limit):
            return .failure(HandlerConversation.outputTooLargeMessage(limit: limit))
        case .result(let result):
            if status.succeeded { return result }
            if case .failure = result { return result }
            return .failure("\(describe) printed a result but then ended with \(describeExit(status) ?? status.description)\(stderrText)")
        case .endOfOutput:
            if status.succeeded {
                return .failure("\(describe) exited without printing a result line ({\"output\": ...} or {\"error\": ...})\(stderrText)")
            }
            return .failure("\(describe) failed: \(describeExit(status) ?? status.description)\(stderrText)")
        }
    }

    private static func waitBriefly(_ child: ChildProcess, for duration: Duration) async -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if child.poll() != nil { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return child.poll() != nil
    }
}
