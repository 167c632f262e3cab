import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Worker

/// Options of a worker manager (`worker`, `dev`); flag, else environment variable, else default
/// (``Setting``).
struct WorkerOptions: ParsableArguments {
    enum RuntimeKind: String, ExpressibleByArgument, CaseIterable {
        case process, persistent, container
    }

    @Option(name: .customLong("endpoint"), help: "Endpoint (queue) to serve; repeatable (env ORCH_ENDPOINTS, comma-separated; default default).")
    var endpoints: [String] = []

    @Option(name: .customLong("concurrency"), help: "Jobs run at once (env ORCH_CONCURRENCY; default 1, 2 in dev).")
    var concurrencyOption: Int?

    @Option(name: .customLong("runtime"), help: "process (a process per job), persistent (long-lived handlers) or container (env ORCH_RUNTIME; default process).")
    var runtimeOption: RuntimeKind?

    @Option(help: "Handler command line, run with /bin/sh -c; in a container, the command run in the image (env ORCH_HANDLER).")
    var handler: String?

    @Option(name: .customLong("container-cli"), help: "docker-compatible CLI for the container runtime (env ORCH_CONTAINER_CLI; default podman).")
    var containerCLIOption: String?

    @Option(help: "Image for the container runtime (env ORCH_IMAGE).")
    var image: String?

    @Option(name: .customLong("container-arg"), parsing: .singleValue, help: "Extra argument for 'run' (repeatable), e.g. --container-arg=--memory=2g.")
    var containerArguments: [String] = []

    @Option(name: .customLong("lease"), help: "Lease seconds: a manager silent this long loses its jobs (env ORCH_LEASE; default 30).")
    var leaseOption: Double?

    @Option(name: .customLong("max-requeues"), help: "Times a job whose manager died is requeued before it fails (env ORCH_MAX_REQUEUES; default 1).")
    var maxRequeuesOption: Int?

    @Option(name: .customLong("grace"), help: "Seconds running jobs may go on after SIGTERM before they are handed back (env ORCH_GRACE; default 30).")
    var graceOption: Double?

    @Option(name: .customLong("max-output"), help: "Longest handler output line in bytes; a longer one fails the job and kills the handler (env ORCH_MAX_OUTPUT; default 20971520).")
    var maxOutputOption: Int?

    @Option(name: .customLong("worker-id"), help: "Worker manager id (default: host-pid-random).")
    var workerID: String?

    var runtime: RuntimeKind { runtimeOption ?? .process }
    var containerCLI: String { containerCLIOption ?? "podman" }
    var maxOutput: Int { maxOutputOption ?? OutputLimit.defaultBytes }

    mutating func validate() throws {
        let source = endpoints.isEmpty ? "ORCH_ENDPOINTS" : "--endpoint"
        if endpoints.isEmpty { endpoints = try Setting.parse("ORCH_ENDPOINTS", SettingKind<[String]>.list) ?? [] }
        for endpoint in endpoints where !EndpointName.isValid(endpoint) {
            throw ValidationError("\(source): '\(endpoint)' is not a valid endpoint name (letters, digits, '-', '_' or '.', at most 128)")
        }
        concurrencyOption = try Setting.resolve(concurrencyOption, flag: "--concurrency", variable: "ORCH_CONCURRENCY", .wholeNumber, check: Check.atLeast(1))
        runtimeOption = try Setting.resolve(runtimeOption, flag: "--runtime", variable: "ORCH_RUNTIME", .oneOf(RuntimeKind.self))
        handler = try Setting.resolve(handler, flag: "--handler", variable: "ORCH_HANDLER", .text)
        containerCLIOption = try Setting.resolve(containerCLIOption, flag: "--container-cli", variable: "ORCH_CONTAINER_CLI", .text)
        image = try Setting.resolve(image, flag: "--image", variable: "ORCH_IMAGE", .text)
        leaseOption = try Setting.resolve(leaseOption, flag: "--lease", variable: "ORCH_LEASE", .number, check: Check.atLeast(1))
        maxRequeuesOption = try Setting.resolve(maxRequeuesOption, flag: "--max-requeues", variable: "ORCH_MAX_REQUEUES", .wholeNumber, check: Check.atLeast(0))
        graceOption = try Setting.resolve(graceOption, flag: "--grace", variable: "ORCH_GRACE", .number, check: Check.atLeast(0))
        maxOutputOption = try Setting.resolve(maxOutputOption, flag: "--max-output", variable: "ORCH_MAX_OUTPUT", .wholeNumber, check: Check.atLeast(1))
        if runtime == .container && image == nil {
            throw ValidationError("the container runtime needs --image (or ORCH_IMAGE)")
        }
    }

    /// The manager's configuration; `defaultConcurrency` when neither flag nor variable set it.
    func configuration(defaultConcurrency: Int = 1) -> WorkerConfiguration {
        WorkerConfiguration(
            workerID: workerID ?? WorkerConfiguration.makeWorkerID(),
            endpoints: endpoints.isEmpty ? ["default"] : endpoints,
            concurrency: concurrencyOption ?? defaultConcurrency,
            lease: .milliseconds(Int((leaseOption ?? 30) * 1000)),
            maxRequeues: maxRequeuesOption ?? 1,
            gracePeriod: .milliseconds(Int((graceOption ?? 30) * 1000))
        )
    }

    func makeRuntime(defaultHandler: String?, concurrency: Int, logger: Logger) throws -> any JobRuntime {
        let handler = self.handler ?? defaultHandler
        switch runtime {
        case .process:
            guard let handler else { throw ValidationError("--handler is required (the command that runs one job)") }
            return ProcessRuntime(handler: handler, maxOutputBytes: maxOutput)
        case .persistent:
            guard let handler else { throw ValidationError("--handler is required (the long-lived handler command)") }
            return PersistentRuntime(handler: handler, size: concurrency, maxOutputBytes: maxOutput, logger: logger)
        case .container:
            let command = handler.map { ["/bin/sh", "-c", $0] } ?? []
            return ContainerRuntime(
                cli: containerCLI, image: image ?? "", runArguments: containerArguments, command: command, maxOutputBytes: maxOutput)
        }
    }
}
