import ArgumentParser
import Foundation
import Logging
import Worker

/// Options of a worker manager (`worker`, `dev`).
struct WorkerOptions: ParsableArguments {
    enum RuntimeKind: String, ExpressibleByArgument, CaseIterable {
        case process, persistent, container
    }

    @Option(name: .customLong("endpoint"), help: "Endpoint (queue) to serve; repeatable (env ORCH_ENDPOINTS, comma-separated; default: default).")
    var endpoints: [String] = []

    @Option(help: "Jobs run at once (env ORCH_CONCURRENCY).")
    var concurrency: Int = Int(ProcessInfo.processInfo.environment["ORCH_CONCURRENCY"] ?? "") ?? 1

    @Option(help: "process (a process per job), persistent (long-lived handlers) or container (env ORCH_RUNTIME).")
    var runtime: RuntimeKind = RuntimeKind(rawValue: ProcessInfo.processInfo.environment["ORCH_RUNTIME"] ?? "") ?? .process

    @Option(help: "Handler command line, run with /bin/sh -c; in a container, the command run in the image (env ORCH_HANDLER).")
    var handler: String?

    @Option(name: .customLong("container-cli"), help: "docker-compatible CLI for the container runtime (env ORCH_CONTAINER_CLI).")
    var containerCLI: String = ProcessInfo.processInfo.environment["ORCH_CONTAINER_CLI"] ?? "podman"

    @Option(help: "Image for the container runtime (env ORCH_IMAGE).")
    var image: String?

    @Option(name: .customLong("container-arg"), parsing: .singleValue, help: "Extra argument for 'run' (repeatable), e.g. --container-arg=--memory=2g.")
    var containerArguments: [String] = []

    @Option(name: .customLong("lease"), help: "Lease seconds: a manager silent this long loses its jobs (env ORCH_LEASE).")
    var leaseSeconds: Double = Double(ProcessInfo.processInfo.environment["ORCH_LEASE"] ?? "") ?? 30

    @Option(name: .customLong("max-requeues"), help: "Times a job whose manager died is requeued before it fails (env ORCH_MAX_REQUEUES).")
    var maxRequeues: Int = Int(ProcessInfo.processInfo.environment["ORCH_MAX_REQUEUES"] ?? "") ?? 1

    @Option(name: .customLong("grace"), help: "Seconds running jobs may go on after SIGTERM before they are handed back (env ORCH_GRACE).")
    var graceSeconds: Double = Double(ProcessInfo.processInfo.environment["ORCH_GRACE"] ?? "") ?? 30

    @Option(name: .customLong("max-output"), help: "Longest handler output line in bytes; a longer one fails the job and kills the handler (env ORCH_MAX_OUTPUT).")
    var maxOutput: Int = Int(ProcessInfo.processInfo.environment["ORCH_MAX_OUTPUT"] ?? "") ?? OutputLimit.defaultBytes

    @Option(name: .customLong("worker-id"), help: "Worker manager id (default: host-pid-random).")
    var workerID: String?

    var resolvedEndpoints: [String] {
        if !endpoints.isEmpty { return endpoints }
        let fromEnvironment = (ProcessInfo.processInfo.environment["ORCH_ENDPOINTS"] ?? "").split(separator: ",").map(String.init)
        return fromEnvironment.isEmpty ? ["default"] : fromEnvironment
    }

    var configuration: WorkerConfiguration {
        WorkerConfiguration(
            workerID: workerID ?? WorkerConfiguration.makeWorkerID(),
            endpoints: resolvedEndpoints,
            concurrency: concurrency,
            lease: .milliseconds(Int(leaseSeconds * 1000)),
            maxRequeues: maxRequeues,
            gracePeriod: .milliseconds(Int(graceSeconds * 1000))
        )
    }

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxOutput >= 1 else { throw ValidationError("--max-output must be at least 1 byte") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        if runtime == .container && image == nil && ProcessInfo.processInfo.environment["ORCH_IMAGE"] == nil {
            throw ValidationError("the container runtime needs --image")
        }
    }

    func makeRuntime(defaultHandler: String?, logger: Logger) throws -> any JobRuntime {
        let handler = self.handler ?? ProcessInfo.processInfo.environment["ORCH_HANDLER"] ?? defaultHandler
        switch runtime {
        case .process:
            guard let handler else { throw ValidationError("--handler is required (the command that runs one job)") }
            return ProcessRuntime(handler: handler, maxOutputBytes: maxOutput)
        case .persistent:
            guard let handler else { throw ValidationError("--handler is required (the long-lived handler command)") }
            return PersistentRuntime(handler: handler, size: concurrency, maxOutputBytes: maxOutput, logger: logger)
        case .container:
            let image = self.image ?? ProcessInfo.processInfo.environment["ORCH_IMAGE"] ?? ""
            let command = handler.map { ["/bin/sh", "-c", $0] } ?? []
            return ContainerRuntime(cli: containerCLI, image: image, runArguments: containerArguments, command: command, maxOutputBytes: maxOutput)
        }
    }
}
