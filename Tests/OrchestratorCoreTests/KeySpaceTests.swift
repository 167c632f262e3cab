import OrchestratorCore
import Testing

@Suite("Key space")
struct KeySpaceTests {
    @Test func endpointKeysShareTheEndpointsHashTag() {
        let sdxl = KeySpace().endpoint("sdxl")
        #expect(sdxl.job("abc") == "orch:{sdxl}:job:abc")
        #expect(sdxl.queue == "orch:{sdxl}:queue")
        #expect(sdxl.lowQueue == "orch:{sdxl}:queue:low")
        #expect(sdxl.running("w1") == "orch:{sdxl}:running:w1")
        #expect(sdxl.stats == "orch:{sdxl}:stats")
        #expect(sdxl.events == "orch:{sdxl}:events")
        #expect(sdxl.deliveries("abc") == "orch:{sdxl}:job:abc:deliveries")
        #expect(sdxl.webhooks.due == "orch:{sdxl}:webhooks:due")
        #expect(sdxl.webhooks.events == sdxl.events)
        #expect(KeySpace(prefix: "staging:").endpoint("x").job("y") == "staging:{x}:job:y")
    }

    @Test func globalKeysShareOneTagNoEndpointCanHave() {
        let global = KeySpace().global
        #expect(global.workers == "orch:{@global}:workers")
        #expect(global.subscriptions == "orch:{@global}:subscriptions")
        #expect(global.endpoints == "orch:{@global}:endpoints")
        #expect(!EndpointName.isValid("@global"))
    }

    @Test func queueEntriesSplitAtTheFirstTab() {
        let entry = QueueEntry(id: "a-1", input: "{\"x\":\t1}")
        #expect(entry.text == "a-1\t{\"x\":\t1}")
        #expect(QueueEntry(entry.text) == entry)
        #expect(QueueEntry("no-tab") == nil)
    }
}
