import Testing
@testable import Notifier

@Suite("Notifier configuration")
struct NotifierConfigurationTests {
    @Test func retryDelays() {
        let fixed = NotifierConfiguration(delay: .seconds(10)).retryPolicy
        #expect(fixed.delay(afterAttempt: 1) == .seconds(10) && fixed.delay(afterAttempt: 2) == .seconds(10))
        let exponential = NotifierConfiguration(delay: .seconds(2), exponentialBackoff: true).retryPolicy
        #expect(exponential.delay(afterAttempt: 1) == .seconds(2) && exponential.delay(afterAttempt: 3) == .seconds(8))
        #expect(NotifierConfiguration(requestTimeout: .seconds(30)).claimIdle > .seconds(30))
    }
}
