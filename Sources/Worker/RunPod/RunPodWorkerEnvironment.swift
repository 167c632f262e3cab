/// The environment an unmodified RunPod worker (`runpod.serverless.start`) needs to take jobs
/// from this API instead of RunPod's: the four URL templates, its worker id, the key, and the
/// switches for a machine without RunPod's cloud around it. `orchestrator runpod-env` prints
/// it; the `runpod` runtime gives it to every replica it starts.
public struct RunPodWorkerEnvironment: Sendable, Equatable {
    /// The API's base URL (`http://api:8080`).
    public var apiURL: String
    public var endpoint: String
    /// The key workers send (`Authorization: <key>`); RunPod's SDK sends pings only with one,
    /// so there is always one (any text when the API has no keys).
    public var apiKey: String
    /// Added to every URL's query: the manager supervising the worker (its slots count once).
    public var supervisor: String?
    /// RUNPOD_PING_INTERVAL, ms (whole seconds: the SDK divides by 1000).
    public var pingInterval: Int

    public init(apiURL: String, endpoint: String, apiKey: String? = nil, supervisor: String? = nil, pingInterval: Int = 10_000) {
        self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.endpoint = endpoint
        self.apiKey = apiKey ?? "none"
        self.supervisor = supervisor
        self.pingInterval = max(1000, pingInterval / 1000 * 1000)
    }

    /// The templates as RunPod's SDK expects them: the take URL holds `/job-take/` and a query,
    /// `$ID` there is the worker id; in the done and stream URLs `$RUNPOD_POD_ID` is the worker
    /// id and `$ID` the job id.
    public func variables(podID: String? = nil, gpu: String? = nil) -> [(String, String)] {
        var query = "gpu=\(gpu ?? "none")"
        if let supervisor { query += "&supervisor=\(supervisor)" }
        let base = "\(apiURL)/v2/\(endpoint)"
        var variables = [
            ("RUNPOD_WEBHOOK_GET_JOB", "\(base)/job-take/$ID?\(query)"),
            ("RUNPOD_WEBHOOK_POST_OUTPUT", "\(base)/job-done/$RUNPOD_POD_ID/$ID?\(query)"),
            ("RUNPOD_WEBHOOK_POST_STREAM", "\(base)/job-stream/$RUNPOD_POD_ID/$ID?\(query)"),
            ("RUNPOD_WEBHOOK_PING", "\(base)/ping/$RUNPOD_POD_ID?\(query)"),
            ("RUNPOD_AI_API_KEY", apiKey),
            ("RUNPOD_PING_INTERVAL", String(pingInterval)),
            ("RUNPOD_SKIP_AUTO_SYSTEM_CHECKS", "true"),
        ]
        if let podID { variables.append(("RUNPOD_POD_ID", podID)) }
        return variables
    }
}
