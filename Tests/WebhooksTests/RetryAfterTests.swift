import Foundation
import Testing
@testable import Webhooks

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date in any of its three forms.
@Suite("Retry-After")
struct RetryAfterTests {
    /// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example date.
    static let now = Date(timeIntervalSince1970: 784_111_777)

    @Test(arguments: [
        ("120", 120), (" 5 ", 5), ("0", 0),
        ("Sun, 06 Nov 1994 08:49:47 GMT", 10),       // IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:47 GMT", 10),      // obsolete RFC 850
        ("Sun Nov  6 08:49:47 1994", 10),            // obsolete asctime
        ("Sun Nov 6 08:49:47 1994", 10),
        ("Mon, 07 Nov 1994 08:49:37 GMT", 86_400),
        ("Thu, 01 Dec 1994 00:00:00 GMT", 2_128_223),
        ("Fri, 01 Mar 1996 00:00:00 GMT", 41_526_623),  // after a leap day
        ("Sun, 06 Nov 1994 08:49:36 GMT", 0),        // in the past: now
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
    ] as [(String, Int)])
    func parses(_ header: String, seconds: Int) {
        #expect(RetryAfter.parse(header, now: Self.now) == .seconds(seconds))
    }

    @Test(arguments: [
        "", "soon", "-5", "1.5", "5s", "Sun, 06 Nov 1994 08:49:47", "Sun, 06 Nov 1994 08:49:47 PST",
        "Sun, 31 Feb 1994 08:49:47 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Foo 1994 08:49:47 GMT", "Xyz, 06 Nov 1994 08:49:47 GMT", "Sun, 6 Nov 1994 8:49:47 GMT",
        "Sun Nov  6 08:49:47", "Sun, 06-Nov-1994 08:49:47",
    ])
    func refusesWhatIsNeither(_ header: String) {
        #expect(RetryAfter.parse(header, now: Self.now) == nil)
    }

    @Test func twoDigitYearsMoreThanFiftyYearsAheadAreInThePast() {
        let in2026 = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28 20:26:40
        // 70 read as 2070 would be 44 years ahead: kept; 99 as 2099 would be 73: it is 1999.
        #expect(RetryAfter.parse("Wednesday, 01-Jan-70 00:00:00 GMT", now: in2026)! > .seconds(40 * 365 * 86_400))
        #expect(RetryAfter.parse("Friday, 31-Dec-99 23:59:59 GMT", now: in2026) == .zero)
        #expect(RetryAfter.parse("Monday, 01-Jun-26 00:00:00 GMT", now: in2026) == .seconds(1_780_272_000 - 1_780_000_000))
    }

    @Test func hugeDelaysDoNotOverflow() {
        #expect(RetryAfter.parse("99999999999999999999999", now: Self.now)! >= .seconds(86_400))
    }
}
