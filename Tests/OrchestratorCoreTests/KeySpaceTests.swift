import OrchestratorCore
import Testing

@Suite("Key space")
struct KeySpaceTests {
    @Test func namesAreReadableAndPrefixed() {
        let keys = KeySpace()
        #expect(keys.job("abc") == "orch:job:abc")
        #expect(keys.queue("sdxl") == "orch:queue:sdxl")
        #expect(keys.endpointStats("sdxl") == "orch:endpoint:sdxl:stats")
        #expect(keys.leases == "orch:leases")
        #expect(keys.events == "orch:events")
        #expect(keys.worker("w1") == "orch:worker:w1")
        #expect(keys.jobDeliveries("abc") == "orch:job:abc:deliveries")
        #expect(keys.webhookRetries == "orch:webhooks:retry")
        #expect(KeySpace(prefix: "staging:").job("x") == "staging:job:x")
    }
}
