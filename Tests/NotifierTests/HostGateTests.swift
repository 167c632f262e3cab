import Testing
@testable import Notifier

@Suite("Per-host limits, breaker and shutdown of the host gate")
struct HostGateTests {
    @Test func waiterGivesItsTurnUpWhenTheHostIsPaused() async {
        let gate = HostGate(maxConcurrent: 10, maxPerHost: 1, breakerThreshold: 1, breakerPause: .seconds(30))
        #expect(await gate.enter("h:80") == .go)
        let waiting = Task { await gate.enter("h:80") }
        while await gate.waiting("h:80") == 0 { await Task.yield() }
        // The request in flight fails: the breaker pauses the host, and the waiter is not sent.
        #expect(await gate.leave("h:80", failed: true))
        guard case .later(let wait) = await waiting.value else { Issue.record("the waiter went to a paused host"); return }
        #expect(wait > .seconds(20))
        // Other hosts are not held up.
        #expect(await gate.enter("other:80") == .go)
    }

    @Test func shutdownLetsWaitersGo() async {
        let gate = HostGate(maxConcurrent: 10, maxPerHost: 1, breakerThreshold: 5, breakerPause: .seconds(30))
        #expect(await gate.enter("h:80") == .go)
        let waiting = Task { await gate.enter("h:80") }
        while await gate.waiting("h:80") == 0 { await Task.yield() }
        await gate.close()
        #expect(await waiting.value == .later(.zero))
        #expect(await gate.enter("h:80") == .later(.zero))
    }
}
