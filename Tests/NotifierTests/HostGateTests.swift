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

    @Test func busyHostGetsRoomForItsSlotsAndAFewWaiting() async {
        let gate = HostGate(maxConcurrent: 10, maxPerHost: 2, breakerThreshold: 5, breakerPause: .seconds(30))
        #expect(await gate.enter("h:80") == .go)
        // One slot free and 2 × 4 places to wait (nothing known of its rate yet): 9 lanes.
        let room = await gate.room(for: Array(repeating: "h:80", count: 12) + ["other:80"])
        #expect(room.prefix(9).allSatisfy { $0 == nil })
        #expect(room[9...11].allSatisfy { ($0 ?? .zero) >= .milliseconds(50) })
        #expect(room[12] == nil)
    }

    @Test func fastHostMayKeepMoreWaiting() async throws {
        let gate = HostGate(maxConcurrent: 10, maxPerHost: 2, breakerThreshold: 5, breakerPause: .seconds(30))
        #expect(await gate.enter("h:80") == .go)  // one request stays in flight: the host stays known
        for _ in 0..<1000 {
            #expect(await gate.enter("h:80") == .go)
            await gate.leave("h:80", failed: false)
        }
        try await Task.sleep(for: .milliseconds(150))
        // 1000 finished within a few seconds at most (a few ms here): its rate lets far more
        // than 2 × 4 lanes wait.
        let room = await gate.room(for: Array(repeating: "h:80", count: 600))
        #expect(room.filter { $0 == nil }.count > 100)
    }

    @Test func waiterGoesBackAfterMaxWait() async throws {
        let gate = HostGate(maxConcurrent: 10, maxPerHost: 1, breakerThreshold: 5, breakerPause: .seconds(30), maxWait: .seconds(10))
        #expect(await gate.enter("h:80") == .go)
        let waiting = Task { await gate.enter("h:80") }
        while await gate.waiting("h:80") == 0 { await Task.yield() }
        await gate.expireWaits()
        #expect(await gate.waiting("h:80") == 1)  // not yet
        await gate.expireWaits(now: .now + .seconds(11))
        let left = await gate.waiting("h:80")
        #expect(left == 0)
        if left != 0 { await gate.close() }  // a failure, not a hang
        #expect(await waiting.value == .later(.seconds(1)))
    }
}
