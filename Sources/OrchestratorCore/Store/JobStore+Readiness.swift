import Redis

extension JobStore {
    /// The scripts a job's life runs through.
    static var scripts: [RedisScript] {
        [SubmitJobScript.script, ClaimJobsScript.script, FinishJobScript.script, CancelJobScript.script, RetryJobScript.script,
         ReleaseJobScript.script, HeartbeatScript.script, ReapScript.script]
    }

    /// Readiness: Redis answers and has the transition scripts (loaded now when it has not: a
    /// restarted or failed-over Redis starts without them). Throws when Redis cannot be reached.
    public func prepare() async throws {
        let scripts = Self.scripts
        let exists = try await client.send(RedisCommand("SCRIPT", ["EXISTS"] + scripts.map(\.sha1))).array ?? []
        let missing = zip(scripts, exists).filter { $0.1.int != 1 }.map(\.0)
        guard !missing.isEmpty else { return }
        _ = try await client.pipeline(missing.map { RedisCommand("SCRIPT", "LOAD", $0.source) })
    }
}
