import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Worker

/// Options of a worker manager (`worker`, `dev`); flag, else environment variable, else default
/// (``Setting``).
struct WorkerOptions: ParsableArguments {
    enum RuntimeKind: String, ExpressibleByArgument, CaseIterable {
        case process, persistent, container, runpod
    }

    @Option(name: .customLong("endpoint"), help: "Endpoint (queue) to serve; repeatable (env ORCH_ENDPOINTS, comma-separated; default default).")
    var endpoints: [String] = []

    @Option(name: .customLong("concurrency"), help: "Jobs run at once (env ORCH_CONCURRENCY; default 1, 2 in dev).")
    var concurrencyOption: Int?

    @Option(name: .customLong("runtime"), help: "process (a process per job), persistent (long-lived handlers), container, or runpod (unmodified RunPod workers, supervised) (env ORCH_RUNTIME; default process).")
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

    @Option(name: .customLong("replicas"), help: "runpod runtime: replicas of the RunPod worker to run (env ORCH_REPLICAS; default 1).")
    var replicasOption: Int?

    @Option(name: .customLong("api-url"), help: "runpod runtime: the API the RunPod workers take jobs from (env ORCH_API_URL; default http://127.0.0.1:8080).")
    var apiURLOption: String?

    @Option(name: .customLong("worker-api-key"), help: "runpod runtime: the API key the RunPod workers send (env ORCH_WORKER_API_KEY; needed when the API has keys).")
    var workerAPIKey: String?

    @Option(name: .customLong("gpus"), help: "runpod runtime: GPU devices, replica n gets the n-th, e.g. 0,1,2,3 (env ORCH_GPUS).")
    var gpus: [String] = []

    @Option(name: .customLong("stop-grace"), help: "runpod runtime: seconds a replica may keep a job it was told to stop before it is killed (env ORCH_STOP_GRACE; default 10).")
    var stopGraceOption: Double?

    var runtime: RuntimeKind { runtimeOption ?? .process }
    var replicas: Int { replicasOption ?? 1 }
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
        replicasOption = try Setting.resolve(replicasOption, flag: "--replicas", variable: "ORCH_REPLICAS", .wholeNumber, check: Check.atLeast(1))
        apiURLOption = try Setting.resolve(apiURLOption, flag: "--api-url", variable: "ORCH_API_URL", .text)
        workerAPIKey = try Setting.resolve(workerAPIKey, flag: "--worker-api-key", variable: "ORCH_WORKER_API_KEY", .secret)
        if gpus.isEmpty { gpus = try Setting.parse("ORCH_GPUS", SettingKind<[String]>.list) ?? [] }
        gpus = gpus.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        stopGraceOption = try Setting.resolve(stopGraceOption, flag: "--stop-grace", variable: "ORCH_STOP_GRACE", .number, check: Check.atLeast(0))
        if runtime == .runpod {
            guard endpoints.count <= 1 else { throw ValidationError("the runpod runtime serves exactly one --endpoint") }
            guard gpus.isEmpty || gpus.count >= replicas else {
                throw ValidationError("--gpus names \(gpus.count) devices for \(replicas) replicas: each replica needs its own")
            }
            guard handler != nil || image != nil else {
                throw ValidationError("the runpod runtime needs --handler (e.g. 'python -u handler.py') or --image")
            }
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

    /// The `runpod` runtime's supervisor of RunPod worker replicas.
    func makeRunPodSupervisor(configuration: WorkerConfiguration, store: JobStore, logger: Logger) throws -> RunPodSupervisor {
        let launch: RunPodLaunch
        if let image {
            launch = .container(cli: containerCLI, image: image, arguments: containerArguments, command: handler.map { ["/bin/sh", "-c", $0] } ?? [])
        } else if let handler {
            launch = .process(command: handler)
        } else {
            throw ValidationError("the runpod runtime needs --handler (e.g. 'python -u handler.py') or --image")
        }
        let endpoint = configuration.endpoints[0]
        return RunPodSupervisor(configuration: RunPodSupervisorConfiguration(
            workerID: configuration.workerID, endpoint: endpoint, replicas: replicas, launch: launch, gpus: gpus,
            environment: RunPodWorkerEnvironment(apiURL: apiURLOption ?? "http://127.0.0.1:8080", endpoint: endpoint, apiKey: workerAPIKey,
                                                 supervisor: configuration.workerID),
            lease: configuration.lease, gracePeriod: configuration.gracePeriod, stopGrace: .milliseconds(Int((stopGraceOption ?? 10) * 1000)),
            maxRequeues: configuration.maxRequeues), store: store, logger: logger)
    }

    func makeRuntime(defaultHandler: String?, concurrency: Int, workerID: String, logger: Logger) throws -> any JobRuntime {
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
                cli: containerCLI, image: image ?? "", runArguments: containerArguments, command: command, maxOutputBytes: maxOutput,
                workerID: workerID)
        case .runpod:
            throw ValidationError("the runpod runtime supervises RunPod workers; it runs no handler of its own")
        }
    }
}
