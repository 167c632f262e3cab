import ChildProcess
import Foundation
import OrchestratorCore
import Redis

/// One container per job through a docker-compatible CLI (`podman` or `docker`):
/// `run --rm -i --name orch-<job id>-<attempt> --label orch.worker=<worker id> [extra args] IMAGE
/// [command]`, the same stdin/stdout protocol as the process runtime. Timeout and cancel kill the
/// container by name. A manager that starts with the id of one that died first kills the
/// containers that one left running (found by the label, killed by name): their results would
/// be discarded, and they may hold a GPU.
public struct ContainerRuntime: JobRuntime {
    public let name = "container"
    public let cli: String
    public let image: String
    /// Extra `run` arguments (`--memory 2g`, `--gpus all`, `-v ...`).
    public let runArguments: [String]
    /// Command (and arguments) run in the container; empty = the image's own entrypoint.
    public let command: [String]
    /// Environment variables added for the CLI itself (`CONTAINERS_CONF`, `DOCKER_HOST`, ...).
    public let cliEnvironment: [String: String]
    /// The manager's id, as the containers' `orch.worker` label.
    public let workerID: String
    /// Longest stdout line (bytes) a handler may print; a longer one fails the job.
    public let maxOutputBytes: Int

    public init(
        cli: String = "podman", image: String, runArguments: [String] = [], command: [String] = [],
        cliEnvironment: [String: String] = [:], maxOutputBytes: Int = OutputLimit.defaultBytes, workerID: String = ""
    ) {
        self.maxOutputBytes = maxOutputBytes
        self.cli = cli
        self.workerID = workerID
        self.image = image
        self.runArguments = runArguments
        self.command = command
        self.cliEnvironment = cliEnvironment
    }

    public func start() async throws {
        guard !workerID.isEmpty else { return }
        for name in await leftoverContainers() {
            _ = await Self.runCLI(cli, ["kill", name], environment: environment)
        }
    }

    public func shutdown() async {}

    /// Names of running containers labelled with this manager's id (an earlier run's).
    func leftoverContainers() async -> [String] {
        let output = await Self.runCLI(cli, ["ps", "--filter", "label=\(Self.label)=\(workerID)", "--format", "{{.Names}}"], environment: environment)
        return output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static let label = "orch.worker"

    private var environment: [String: String]? {
        cliEnvironment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(cliEnvironment) { $1 }
    }

    /// Runs the CLI to its end (off the cooperative pool) and returns its stdout.
    static func runCLI(_ cli: String, _ arguments: [String], environment: [String: String]?) async -> String {
        await offCooperativePool {
            guard let child = try? ChildProcess.spawn(cli, arguments: arguments, environment: environment, stdout: .pipe, stderr: .null) else { return "" }
            let data = (try? child.standardOutput?.readToEnd()).flatMap { $0 } ?? Data()
            _ = child.waitBlocking()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Container names must be unique and valid: the job id with an attempt suffix.
    static func containerName(for job: ClaimedJob) -> String {
        "orch-\(job.id)-\(job.attempt)"
    }

    public func run(_ context: JobContext) async -> RunResult {
        let name = Self.containerName(for: context.job)
        let labels = workerID.isEmpty ? [] : ["--label", "\(Self.label)=\(workerID)"]
        let arguments = [cli, "run", "--rm", "-i", "--name", name] + labels + runArguments + [image] + command
        let cli = self.cli
        let environment = self.environment
        return await ProcessRuntime.run(
            arguments: arguments,
            environment: environment,
            context: context,
            maxOutputBytes: maxOutputBytes,
            describe: "container \(name)",
            extraKill: {
                // The CLI's own death does not stop the container; killing it by name does.
                // Reaped on a thread of its own: kill closures run on the cooperative pool.
                if let killer = try? ChildProcess.spawn(cli, arguments: ["kill", name], environment: environment, stdout: .null, stderr: .null) {
                    Thread.detachNewThread { _ = killer.waitBlocking() }
                }
            },
            describeExit: { status in
                switch status {
                case .exited(137): "exit code 137: the container was killed (out of memory, or killed outside the orchestrator)"
                case .exited(125): "exit code 125: the container runtime could not start the container"
                case .exited(126), .exited(127): "\(status): the command in the container could not be run"
                default: nil
                }
            }
        )
    }
}
