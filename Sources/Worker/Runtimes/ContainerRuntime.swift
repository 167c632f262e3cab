import ChildProcess
import Foundation
import OrchestratorCore

/// One container per job through a docker-compatible CLI (`podman` or `docker`):
/// `run --rm -i --name orch-<job id> [extra args] IMAGE [command]`, the same stdin/stdout
/// protocol as the process runtime. Timeout and cancel kill the container by name.
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
    /// Longest stdout line (bytes) a handler may print; a longer one fails the job.
    public let maxOutputBytes: Int

    public init(
        cli: String = "podman", image: String, runArguments: [String] = [], command: [String] = [],
        cliEnvironment: [String: String] = [:], maxOutputBytes: Int = OutputLimit.defaultBytes
    ) {
        self.maxOutputBytes = maxOutputBytes
        self.cli = cli
        self.image = image
        self.runArguments = runArguments
        self.command = command
        self.cliEnvironment = cliEnvironment
    }

    public func start() async throws {}
    public func shutdown() async {}

    /// Container names must be unique and valid: the job id with an attempt suffix.
    static func containerName(for job: ClaimedJob) -> String {
        "orch-\(job.id)-\(job.attempt)"
    }

    public func run(_ context: JobContext) async -> RunResult {
        let name = Self.containerName(for: context.job)
        let arguments = [cli, "run", "--rm", "-i", "--name", name] + runArguments + [image] + command
        let cli = self.cli
        let environment = cliEnvironment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(cliEnvironment) { $1 }
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
