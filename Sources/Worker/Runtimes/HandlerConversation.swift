import Foundation
import OrchestratorCore

/// Reads one job's stdout lines until the handler reports a result or its stdout ends,
/// under the execution timeout and the caller's cancellation. Shared by every runtime.
enum HandlerConversation {
    enum Ending: Equatable {
        case result(RunResult)
        /// stdout closed (the process ended) without a result line.
        case endOfOutput
        case timedOut
        case cancelled
        /// A stdout line went past the output limit (bytes); the handler was killed.
        case outputTooLarge(limit: Int)
    }

    /// - Parameter kill: stops the handler; called on timeout, on cancellation and on a line
    ///   past the output limit.
    static func collect(
        lines: AsyncStream<OutputLine>,
        context: JobContext,
        kill: @escaping @Sendable () -> Void
    ) async -> Ending {
        let ending = await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                for await output in lines {
                    guard case .line(let line) = output else {
                        if case .tooLong(let limit) = output { return .outputTooLarge(limit: limit) }
                        continue
                    }
                    switch HandlerLine(line) {
                    case .result(let output): return .result(.output(output))
                    case .error(let message, let output): return .result(.failure(message, output: output))
                    case .stream(let chunk): await context.onStream(chunk)
                    case .other(let text):
                        context.logger.info("handler stdout", metadata: ["job": "\(context.job.id)", "line": "\(text)"])
                    }
                }
                return Task.isCancelled ? .cancelled : .endOfOutput
            }
            group.addTask {
                do {
                    try await Task.sleep(for: context.timeout)
                    return .timedOut
                } catch {
                    return nil
                }
            }
            let first = await withTaskCancellationHandler {
                await group.next() ?? nil
            } onCancel: {
                kill()
            }
            group.cancelAll()
            return first ?? .cancelled
        }
        if Task.isCancelled { return .cancelled }
        switch ending {
        case .timedOut, .outputTooLarge: kill()
        default: break
        }
        return ending
    }

    /// RunPod's /runsync refuses results over 20 MiB; a line this long would also sit in our memory.
    static func outputTooLargeMessage(limit: Int) -> String {
        "handler output larger than \(limit) bytes (--max-output); the handler was killed"
    }

    static func timeoutMessage(_ context: JobContext) -> String {
        "execution timeout of \(context.timeout.wholeMilliseconds) ms exceeded; the handler was killed"
    }
}
