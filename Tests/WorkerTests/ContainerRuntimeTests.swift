import ChildProcess
import Foundation
import OrchestratorCore
import Testing
@testable import Worker

/// Real containers through Debian's podman, from an image built here out of busybox-static
/// (no registry). Where podman cannot run containers, each test says why and skips.
@Suite("Container runtime (podman)", .serialized)
struct ContainerRuntimeTests {
    static let image = "localhost/orch-busybox:test"
    /// The podman settings file for this run: passed to podman explicitly, never set
    /// process-wide (setenv while other tests' threads read the environment is a data race).
    static let configurationFile = FileManager.default.temporaryDirectory
        .appendingPathComponent("orch-containers-\(getpid()).conf").path
    static var podmanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["CONTAINERS_CONF": configurationFile]) { $1 }
    }

    /// Prepares podman (settings this sandbox needs, via CONTAINERS_CONF) and the image,
    /// or returns why containers cannot run here.
    static let unavailableReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/podman") else { return "podman is not installed" }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let busybox else { return "busybox-static is not installed" }
        do {
            let directory = try temporaryDirectory()
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            let conf = URL(fileURLWithPath: configurationFile)
            try """
            [containers]
            default_ulimits = ["nofile=\(limit.rlim_max):\(limit.rlim_max)", "nproc=32768:32768"]
            [engine]
            runtime = "runc"
            """.write(to: conf, atomically: true, encoding: .utf8)
            let root = directory.appendingPathComponent("root/bin")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: busybox, toPath: root.appendingPathComponent("busybox").path)
            for applet in ["sh", "cat", "sleep", "echo", "head", "tr", "true", "read"] {
                try? FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(applet).path, withDestinationPath: "busybox")
            }
            let tar = directory.appendingPathComponent("bb.tar").path
            let tarStatus = run("tar", ["-C", directory.appendingPathComponent("root").path, "-cf", tar, "."])
            guard tarStatus == .exited(0) else {
                return "cannot build the busybox image tarball (tar: \(String(describing: tarStatus)))"
            }
            guard run("podman", ["import", "-q", tar, image]) == .exited(0) else { return "podman import failed" }
            guard run("podman", ["run", "--rm", "--network", "none", image, "true"]) == .exited(0) else {
                return "podman cannot run a container on this machine"
            }
            return nil
        } catch {
            return "cannot prepare podman: \(error)"
        }
    }()

    private static func run(_ command: String, _ arguments: [String]) -> ChildProcess.ExitStatus? {
        do {
            return try ChildProcess.spawn(command, arguments: arguments, environment: podmanEnvironment, stdout: .null, stderr: .null).waitBlocking()
        } catch {
            print("cannot run \(command): \(error)")
            return nil
        }
    }

    private func runtime(_ command: String, extra: [String] = []) -> ContainerRuntime {
        ContainerRuntime(cli: "podman", image: Self.image, runArguments: ["--network", "none"] + extra, command: ["sh", "-c", command],
                         cliEnvironment: ["CONTAINERS_CONF": Self.configurationFile])
    }

    private func skipUnlessAvailable() -> Bool {
        if let reason = Self.unavailableReason {
            print("SKIPPED container runtime test: \(reason)")
            return true
        }
        return false
    }

    @Test func jobRunsInAContainer() async throws {
        if skipUnlessAvailable() { return }
        let result = await runtime(#"read line; echo "{\"output\": $line}""#).run(makeContext(id: "c1", input: #"{"x":1}"#))
        #expect(result == .output(#"{"id":"c1","input":{"x":1}}"#))
    }

    @Test func containerExitCodeIsReported() async throws {
        if skipUnlessAvailable() { return }
        // Reading the job first: podman forwards the container's output only once it is attached,
        // and a line written before that can be lost; stdin arriving proves the attach.
        guard case .failure(let message, _) = await runtime("read line; echo broken >&2; exit 3").run(makeContext()) else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("exit code 3") && message.contains("broken"))
    }

    @Test func timeoutKillsTheContainer() async throws {
        if skipUnlessAvailable() { return }
        let context = makeContext(timeout: .seconds(2))
        let name = ContainerRuntime.containerName(for: context.job)
        let started = ContinuousClock.now
        let result = await runtime("sleep 60").run(context)
        guard case .timedOut = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        // The container is gone, not just the CLI process.
        var gone = false
        for _ in 0..<50 {
            if Self.run("podman", ["container", "exists", name]) == .exited(1) { gone = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(gone, "container \(name) still exists after the timeout")
    }

    @Test func outOfMemoryIsReportedAsSuch() async throws {
        if skipUnlessAvailable() { return }
        let hog = #"x=$(head -c 60000000 /dev/zero | tr '\0' a); echo '{"output": "survived"}'"#
        let result = await runtime(hog, extra: ["--memory", "8m"]).run(makeContext())
        guard case .failure(let message, _) = result else {
            Issue.record("expected an OOM failure, got \(result)")
            return
        }
        #expect(message.contains("137") && message.contains("out of memory"))
    }

    @Test func aManagerStartingWithADeadOnesIdKillsItsContainers() async throws {
        if skipUnlessAvailable() { return }
        let worker = "dead-\(getpid())"
        let name = "orch-leftover-\(getpid())"
        // What a manager killed with SIGKILL leaves behind: its container, still running.
        let leftover = try ChildProcess.spawn("podman", arguments: [
            "run", "--rm", "-d", "--name", name, "--label", "orch.worker=\(worker)", "--network", "none", Self.image, "sleep", "60",
        ], environment: Self.podmanEnvironment, stdout: .null, stderr: .null)
        #expect(leftover.waitBlocking() == .exited(0))
        let runtime = ContainerRuntime(cli: "podman", image: Self.image, cliEnvironment: ["CONTAINERS_CONF": Self.configurationFile], workerID: worker)
        #expect(await runtime.leftoverContainers() == [name])
        try await runtime.start()
        var gone = false
        for _ in 0..<100 {
            if Self.run("podman", ["container", "exists", name]) == .exited(1) { gone = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(gone, "container \(name) of the dead manager still exists")
    }
}
