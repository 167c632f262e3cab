import ChildProcess
import Foundation
import Logging
import Synchronization

/// How a replica of an unmodified RunPod worker is started.
public enum RunPodLaunch: Sendable, Equatable {
    /// `sh -c <command>` with the worker's environment (and `CUDA_VISIBLE_DEVICES` for its GPU).
    case process(command: String)
    /// `<cli> run --rm --name orch-<pod id> --label orch.worker=<manager id> -e … IMAGE [command]`,
    /// on the host's network unless the extra arguments name one, its GPU through the CLI's
    /// device flag.
    case container(cli: String, image: String, arguments: [String], command: [String])
}

/// One running replica: its process (or the container CLI's), its output logged with its pod
/// id, the last stderr lines kept for the error of the jobs it dies with.
final class RunPodReplica: Sendable {
    let podID: String
    let startedAt = ContinuousClock.now
    private let child: ChildProcess
    private let launch: RunPodLaunch
    let stderrTail = OutputTail()

    private init(podID: String, child: ChildProcess, launch: RunPodLaunch) {
        self.podID = podID
        self.child = child
        self.launch = launch
    }

    static func start(podID: String, launch: RunPodLaunch, label: String, environment: [(String, String)], gpu: String?,
                      logger: Logger) throws -> RunPodReplica {
        var variables = environment
        let arguments: [String]
        switch launch {
        case .process(let command):
            if let gpu { variables.append(("CUDA_VISIBLE_DEVICES", gpu)) }
            arguments = ["/bin/sh", "-c", command]
            forgetPersistedJobs(logger: logger)
        case .container(let cli, let image, let extra, let command):
            var run = [cli, "run", "--rm", "--name", containerName(podID), "--label", "orch.worker=\(label)"]
            if !extra.contains(where: { $0.hasPrefix("--network") || $0.hasPrefix("--net") }) { run += ["--network", "host"] }
            if let gpu { run += cli.hasSuffix("docker") ? ["--gpus", "device=\(gpu)"] : ["--device", "nvidia.com/gpu=\(gpu)"] }
            for (name, value) in variables { run += ["-e", "\(name)=\(value)"] }
            arguments = run + extra + [image] + command
        }
        let environment = ProcessInfo.processInfo.environment.merging(variables.map { ($0.0, $0.1) }) { $1 }
        let child = try ChildProcess.spawn(arguments[0], arguments: Array(arguments.dropFirst()), environment: environment,
                                           stdin: .null, stdout: .pipe, stderr: .pipe)
        let replica = RunPodReplica(podID: podID, child: child, launch: launch)
        // Its output is only logged (results travel over HTTP): lines are capped at 64 KB.
        LineReader.start(child.standardOutput!, name: "\(podID)-stdout", maxLineBytes: 64 * 1024, onLine: { line in
            logger.info("runpod worker stdout", metadata: ["pod": "\(podID)", "line": "\(line.loggedText)"])
        }, onEnd: {})
        LineReader.start(child.standardError!, name: "\(podID)-stderr", maxLineBytes: 64 * 1024, onLine: { [replica] line in
            replica.stderrTail.append(line.loggedText)
            logger.info("runpod worker stderr", metadata: ["pod": "\(podID)", "line": "\(line.loggedText)"])
        }, onEnd: { [replica] in replica.stderrTail.markEnded() })
        return replica
    }

    static func containerName(_ podID: String) -> String { "orch-\(podID)" }

    /// The SDK's 1.7 releases keep the jobs in progress in `.runpod_jobs.pkl` in their working
    /// directory and load it at start: a replica started after a kill would believe it still
    /// runs the job it was killed for, report it in every ping and, at concurrency 1, never take
    /// another. A replica we start holds no job, so the file goes first. (A container starts
    /// from its image's files; later SDKs keep the set in memory.)
    private static func forgetPersistedJobs(logger: Logger) {
        let path = FileManager.default.currentDirectoryPath + "/.runpod_jobs.pkl"
        if unlink(path) != 0 && errno != ENOENT {
            logger.warning("cannot remove the RunPod SDK's job state file", metadata: ["path": "\(path)", "errno": "\(errno)"])
        }
    }

    var pid: pid_t { child.pid }

    func wait() async -> ChildProcess.ExitStatus {
        await child.wait()
    }

    /// Asks it to drain (the SDK finishes and exits on SIGTERM).
    func terminate() {
        child.signal(SIGTERM)
        if case .container(let cli, _, _, _) = launch {
            Self.runDetached(cli, ["stop", "--time", "30", Self.containerName(podID)])
        }
    }

    /// Kills it at once (its process group, or its container by name).
    func kill() {
        if case .container(let cli, _, _, _) = launch {
            Self.runDetached(cli, ["kill", Self.containerName(podID)])
        }
        child.signal(SIGKILL)
    }

    private static func runDetached(_ cli: String, _ arguments: [String]) {
        if let process = try? ChildProcess.spawn(cli, arguments: arguments, stdout: .null, stderr: .null) {
            Thread.detachNewThread { _ = process.waitBlocking() }
        }
    }
}
