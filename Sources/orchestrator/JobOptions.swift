import ArgumentParser
import Foundation
import OrchestratorCore

/// Job defaults, read by the roles that create jobs (`api`, `dev`).
struct JobOptions: ParsableArguments {
    @Option(name: .customLong("retention"), help: "Seconds a job's key lives after its last transition (env ORCH_RETENTION; default 3600).")
    var retentionOption: Int?

    @Option(name: .customLong("default-execution-timeout"), help: "Seconds a job may run when its policy sets no executionTimeout (env ORCH_EXECUTION_TIMEOUT; default 600).")
    var executionTimeoutOption: Int?

    mutating func validate() throws {
        retentionOption = try Setting.resolve(retentionOption, flag: "--retention", variable: "ORCH_RETENTION", .wholeNumber, check: Check.atLeast(1))
        executionTimeoutOption = try Setting.resolve(
            executionTimeoutOption, flag: "--default-execution-timeout", variable: "ORCH_EXECUTION_TIMEOUT", .wholeNumber, check: Check.atLeast(1))
    }

    var defaults: JobDefaults {
        JobDefaults(retention: .seconds(retentionOption ?? 3600), executionTimeout: .seconds(executionTimeoutOption ?? 600))
    }
}
