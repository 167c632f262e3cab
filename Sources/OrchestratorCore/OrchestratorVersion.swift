/// The version reported by `orchestrator --version` and in `User-Agent` headers.
public enum OrchestratorVersion {
    public static let current = "0.1.0"
}
