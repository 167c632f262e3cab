import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Worker

/// Options of a worker manager (`worker`, `dev`).
struct WorkerOptions: ParsableArguments {
    enum RuntimeKind: String, ExpressibleByArgument, CaseIterable {
        case process, persistent, container, runpod
    }

    @Option(name: .customLong("endpoint"), help: "Endpoint (queue) to serve; repeatable (env ORCH_ENDPOINTS, comma-separated; default: default).")
    var endpoints: [String] = []

    @Option(help: "Jobs run at once (env ORCH_CONCURRENCY).")
    var concurrency: Int = Int(ProcessInfo.processInfo.environment["ORCH_CONCURRENCY"] ?? "") ?? 1

    @Option(help: "process (a process per job), persistent (long-lived handlers), container, or runpod (unmodified RunPod workers, supervised) (env ORCH_RUNTIME).")
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

    @Option(name: .customLong("worker-id"), help: "Worker manager id (default: host-pid-random).")
    var workerID: String?

    @Option(help: "runpod runtime: replicas of the RunPod worker to run (env ORCH_REPLICAS).")
    var replicas: Int = Int(ProcessInfo.processInfo.environment["ORCH_REPLICAS"] ?? "") ?? 1

    @Option(name: .customLong("api-url"), help: "runpod runtime: the API the RunPod workers take jobs from (env ORCH_API_URL).")
    var apiURL: String = ProcessInfo.processInfo.environment["ORCH_API_URL"] ?? "http://127.0.0.1:8080"

    @Option(name: .customLong("worker-api-key"), help: "runpod runtime: the API key the RunPod workers send (env ORCH_WORKER_API_KEY; none when the API has no keys).")
    var workerAPIKey: String?

    @Option(help: "runpod runtime: GPU devices, replica n gets the n-th, e.g. --gpus 0,1,2,3 (env ORCH_GPUS).")
    var gpus: String?

    @Option(name: .customLong("stop-grace"), help: "runpod runtime: seconds a replica may keep a job it was told to stop before it is killed (env ORCH_STOP_GRACE).")
    var stopGraceSeconds: Double = Double(ProcessInfo.processInfo.environment["ORCH_STOP_GRACE"] ?? "") ?? 10

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
        guard leaseSeconds >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        if runtime == .container && image == nil && ProcessInfo.processInfo.environment["ORCH_IMAGE"] == nil {
            throw ValidationError("the container runtime needs --image")
        }
        if runtime == .runpod {
            guard replicas >= 1 else { throw ValidationError("--replicas must be at least 1") }
            guard resolvedEndpoints.count == 1 else { throw ValidationError("the runpod runtime serves exactly one --endpoint") }
            let devices = gpuList
            guard devices.isEmpty || devices.count >= replicas else {
                throw ValidationError("--gpus names \(devices.count) devices for \(replicas) replicas: each replica needs its own")
            }
        }
    }

    var gpuList: [String] {
        (gpus ?? ProcessInfo.processInfo.environment["ORCH_GPUS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The `runpod` runtime's supervisor of RunPod worker replicas.
    func makeRunPodSupervisor(configuration: WorkerConfiguration, store: JobStore, logger: Logger) throws -> RunPodSupervisor {
        let handler = self.handler ?? ProcessInfo.processInfo.environment["ORCH_HANDLER"]
        let launch: RunPodLaunch
        if let image = image ?? ProcessInfo.processInfo.environment["ORCH_IMAGE"] {
            launch = .container(cli: containerCLI, image: image, arguments: containerArguments, command: handler.map { ["/bin/sh", "-c", $0] } ?? [])
        } else if let handler {
            launch = .process(command: handler)
        } else {
            throw ValidationError("the runpod runtime needs --handler (e.g. 'python -u handler.py') or --image")
        }
        let key = workerAPIKey ?? ProcessInfo.processInfo.environment["ORCH_WORKER_API_KEY"]
        let endpoint = configuration.endpoints[0]
        return RunPodSupervisor(configuration: RunPodSupervisorConfiguration(
            workerID: configuration.workerID, endpoint: endpoint, replicas: replicas, launch: launch, gpus: gpuList,
            environment: RunPodWorkerEnvironment(apiURL: apiURL, endpoint: endpoint, apiKey: key, supervisor: configuration.workerID),
            lease: configuration.lease, gracePeriod: configuration.gracePeriod, stopGrace: .milliseconds(Int(stopGraceSeconds * 1000)),
            maxRequeues: configuration.maxRequeues), store: store, logger: logger)
    }

    func makeRuntime(defaultHandler: String?, workerID: String, logger: Logger) throws -> any JobRuntime {
        let handler = self.handler ?? ProcessInfo.processInfo.environment["ORCH_HANDLER"] ?? defaultHandler
        switch runtime {
        case .process:
            guard let handler else { throw ValidationError("--handler is required (the command that runs one job)") }
            return ProcessRuntime(handler: handler)
        case .persistent:
            guard let handler else { throw ValidationError("--handler is required (the long-lived handler command)") }
            return PersistentRuntime(handler: handler, size: concurrency, logger: logger)
        case .container:
            let image = self.image ?? ProcessInfo.processInfo.environment["ORCH_IMAGE"] ?? ""
            let command = handler.map { ["/bin/sh", "-c", $0] } ?? []
            return ContainerRuntime(cli: containerCLI, image: image, runArguments: containerArguments, command: command, workerID: workerID)
        case .runpod:
            throw ValidationError("the runpod runtime supervises RunPod workers; it runs no handler of its own")
        }
    }
}
