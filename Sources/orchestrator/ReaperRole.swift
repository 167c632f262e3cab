import Logging
import OrchestratorCore
import ServiceLifecycle

/// The reaper's turns as a service of the API role (worker managers run their own): RunPod
/// HTTP workers may run with no manager at all, and their lost jobs still need recovering.
struct ReaperRole: Service {
    let loop: ReaperLoop

    func run() async throws {
        try? await cancelWhenGracefulShutdown { await loop.run() }
    }
}
