import ArgumentParser
import Foundation
import OrchestratorCore

/// Job defaults, read by the roles that create jobs (`api`, `dev`).
struct JobOptions: ParsableArguments {
    @Option(name: .customLong("retention"), help: "Seconds a job's key lives after its last transition (env ORCH_RETENTION).")
    var retentionSeconds: Int = Int(ProcessInfo.processInfo.environment["ORCH_RETENTION"] ?? "") ?? 3600

    @Option(name: .customLong("default-execution-timeout"), help: "Seconds a job may run when its policy sets no executionTimeout (env ORCH_EXECUTION_TIMEOUT).")
    var executionTimeoutSeconds: Int = Int(ProcessInfo.processInfo.environment["ORCH_EXECUTION_TIMEOUT"] ?? "") ?? 600

    var defaults: JobDefaults {
        JobDefaults(retention: .seconds(max(1, retentionSeconds)), executionTimeout: .seconds(max(1, executionTimeoutSeconds)))
    }
}
