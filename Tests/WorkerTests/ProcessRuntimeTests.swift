import Foundation
import OrchestratorCore
import Testing
@testable import Worker

@Suite("Process runtime")
struct ProcessRuntimeTests {
    @Test func handlerGetsTheJobOnStdinAndReturnsOutput() async throws {
        let runtime = ProcessRuntime(handler: #"read line; printf '%s\n' "{\"output\": $line}""#)
        let context = makeContext(id: "job-1", input: #"{"prompt":"cat","list":[]}"#)
        let result = await runtime.run(context)
        #expect(result == .output(#"{"id":"job-1","input":{"prompt":"cat","list":[]}}"#))
    }

    @Test func errorLineFailsTheJobWithItsMessage() async throws {
        let runtime = ProcessRuntime(handler: #"read line; echo '{"error": "model not loaded"}'"#)
        #expect(await runtime.run(makeContext()) == .failure("model not loaded", output: nil))
    }

    @Test func nonZeroExitFailsWithCodeAndStderr() async throws {
        let runtime = ProcessRuntime(handler: "read line; echo 'CUDA out of memory' >&2; exit 3")
        guard case .failure(let message, _) = await runtime.run(makeContext()) else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("exit code 3"))
        #expect(message.contains("CUDA out of memory"))
    }

    @Test func missingResultLineFails() async throws {
        let runtime = ProcessRuntime(handler: "read line; echo 'just printing'")
        guard case .failure(let message, _) = await runtime.run(makeContext()) else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("without printing a result line"))
    }

    @Test func streamLinesArriveInOrderBeforeTheResult() async throws {
        let runtime = ProcessRuntime(handler: #"read line; echo '{"stream": 1}'; echo 'noise'; echo '{"stream": {"t": "two"}}'; echo '{"output": "done"}'"#)
        let recorder = StreamRecorder()
        #expect(await runtime.run(makeContext(recorder: recorder)) == .output(#""done""#))
        #expect(recorder.all == ["1", #"{"t": "two"}"#])
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("pid").path
        // The handler starts a child (sleep) that would outlive a kill of the shell alone.
        let runtime = ProcessRuntime(handler: "echo $$ > \(pidFile); sleep 30 & wait")
        let started = ContinuousClock.now
        let result = await runtime.run(makeContext(timeout: .milliseconds(500)))
        guard case .timedOut(let message) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(message.contains("500 ms"))
        // Far below the handler's 30 s: it was killed, however loaded the machine.
        #expect(ContinuousClock.now - started < .seconds(15))
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!processGroupAlive(pid), "the handler's process group survived the timeout")
    }

    @Test func cancellingTheTaskStopsTheHandler() async throws {
        let runtime = ProcessRuntime(handler: "sleep 30")
        let task = Task { await runtime.run(makeContext()) }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        task.cancel()
        #expect(await task.value == .stopped)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func handlerThatCannotStartFails() async throws {
        let runtime = ProcessRuntime(handler: "/nonexistent/handler")
        guard case .failure(let message, _) = await runtime.run(makeContext()) else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("exit code 127"))
    }
}

@Suite("Handler output size")
struct OutputLimitTests {
    /// Prints 5000 bytes without a newline, then would wait 30 s: the limit must act without the
    /// line's end and kill the handler.
    static let oversize = #"read line; echo $$ > PIDFILE; head -c 5000 /dev/zero | tr '\0' x; sleep 30"#

    @Test func processRuntimeFailsAnOversizeLineAndKillsTheHandler() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("pid").path
        let runtime = ProcessRuntime(handler: Self.oversize.replacingOccurrences(of: "PIDFILE", with: pidFile), maxOutputBytes: 1000)
        let started = ContinuousClock.now
        #expect(await runtime.run(makeContext()) == .failure("handler output larger than 1000 bytes (--max-output); the handler was killed"))
        #expect(ContinuousClock.now - started < .seconds(15))
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!processGroupAlive(pid))
    }

    @Test func persistentRuntimeFailsAnOversizeLineAndReplacesTheHandler() async throws {
        let handler = #"while read line; do case "$line" in *big*) head -c 5000 /dev/zero | tr '\0' x; sleep 30;; *) echo '{"output": "ok"}';; esac; done"#
        let runtime = PersistentRuntime(handler: handler, size: 1, maxOutputBytes: 1000)
        try await runtime.start()
        let started = ContinuousClock.now
        #expect(await runtime.run(makeContext(input: #"{"big":true}"#)) == .failure("handler output larger than 1000 bytes (--max-output); the handler was killed"))
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(await runtime.run(makeContext()) == .output(#""ok""#))
        await runtime.shutdown()
    }

    @Test func outputJustUnderTheDefaultLimitCompletes() async throws {
        // 20,000,000 bytes of output value: under 20 MiB (20,971,520).
        let runtime = ProcessRuntime(handler: #"read line; printf '{"output": "'; head -c 20000000 /dev/zero | tr '\0' a; printf '"}\n'"#)
        let started = ContinuousClock.now
        guard case .output(let output) = await runtime.run(makeContext(timeout: .seconds(120))) else {
            Issue.record("expected an output")
            return
        }
        #expect(output.utf8.count == 20_000_002)
        print("ProcessRuntime: a 20 MB result line in \(ContinuousClock.now - started)")
    }
}
