import ArgumentParser
import OrchestratorCore

@main
struct Orchestrator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "A Redis-backed job orchestrator that speaks RunPod Serverless' API.",
        version: OrchestratorVersion.current,
        subcommands: [
            DevCommand.self, APICommand.self, WorkerCommand.self, NotifierCommand.self, ExampleHandlerCommand.self,
            RunPodEnvCommand.self, SubmitCommand.self, JobsCommand.self, WorkersCommand.self, EndpointsCommand.self, StatusCommand.self, CancelCommand.self, RetryCommand.self, HealthCommand.self,
            WebhooksCommand.self, DeliveriesCommand.self, DeadLettersCommand.self,
        ]
    )
}
