import Foundation
import OrchestratorCore
import Testing
@testable import Worker

@Suite("Persistent runtime")
struct PersistentRuntimeTests {
    /// A long-lived handler: answers each job line with its own pid; input {"crash": true} kills it.
    static let handler = #"""
    python3 -u -c '
    import json, os, sys
    for line in sys.stdin:
        job = json.loads(line)
        if job["input"].get("crash"):
            os._exit(7)
        if job["input"].get("sleep"):
            import time; time.sleep(job["input"]["sleep"])
        if job["input"].get("barrier"):
            # Wait until N jobs have arrived: only possible when they run at the same time.
            import time
            folder, n = job["input"]["barrier"], job["input"]["n"]
            open(os.path.join(folder, str(os.getpid())), "w").close()
            deadline = time.time() + 20
            while len(os.listdir(folder)) < n and time.time() < deadline:
                time.sleep(0.01)
            if len(os.listdir(folder)) < n:
                print(json.dumps({"error": "barrier not reached"})); continue
        print(json.dumps({"stream": job["input"]}))
        print(json.dumps({"output": {"pid": os.getpid(), "id": job["id"]}}))
    '
    """#

    private func pid(_ result: RunResult) -> Int? {
        guard case .output(let text) = result,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["pid"] as? Int
    }

    @Test func oneProcessServesManyJobs() async throws {
        let runtime = PersistentRuntime(handler: Self.handler, size: 1)
        try await runtime.start()
        defer { Task { await runtime.shutdown() } }
        var pids: Set<Int> = []
        let recorder = StreamRecorder()
        for index in 0..<5 {
            let result = await runtime.run(makeContext(input: #"{"i":\#(index)}"#, recorder: recorder))
            pids.insert(try #require(pid(result)))
        }
        #expect(pids.count == 1)
        #expect(recorder.all.count == 5)
    }

    @Test func handlerDyingMidJobFailsThatJobAndIsRestarted() async throws {
        let runtime = PersistentRuntime(handler: Self.handler, size: 1)
        try await runtime.start()
        defer { Task { await runtime.shutdown() } }
        let before = try #require(pid(await runtime.run(makeContext())))
        guard case .failure(let message, _) = await runtime.run(makeContext(input: #"{"crash":true}"#)) else {
            Issue.record("expected the crashing job to fail")
            return
        }
        #expect(message.contains("died during the job"))
        #expect(message.contains("exit code 7"))
        let after = try #require(pid(await runtime.run(makeContext())))
        #expect(after != before)
    }

    @Test func timeoutKillsAndReplacesTheProcess() async throws {
        let runtime = PersistentRuntime(handler: Self.handler, size: 1)
        try await runtime.start()
        defer { Task { await runtime.shutdown() } }
        let before = try #require(pid(await runtime.run(makeContext())))
        let result = await runtime.run(makeContext(input: #"{"sleep": 30}"#, timeout: .milliseconds(300)))
        guard case .timedOut = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!processAlive(Int32(before)), "the timed-out handler process is still alive")
        let after = try #require(pid(await runtime.run(makeContext())))
        #expect(after != before)
    }

    @Test func concurrentJobsUseSeparateProcesses() async throws {
        let runtime = PersistentRuntime(handler: Self.handler, size: 3)
        try await runtime.start()
        defer { Task { await runtime.shutdown() } }
        let barrier = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: barrier) }
        let input = #"{"barrier": "\#(barrier.path)", "n": 3}"#
        let pids = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<3 {
                group.addTask { self.pid(await runtime.run(makeContext(input: input))) }
            }
            return await group.reduce(into: Set<Int>()) { if let pid = $1 { $0.insert(pid) } }
        }
        // Three different processes, all inside the job at once (the barrier needs all three).
        #expect(pids.count == 3)
    }
}
