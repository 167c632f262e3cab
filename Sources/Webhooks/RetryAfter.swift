import Foundation

/// A receiver's `Retry-After` (RFC 9110 §10.2.3) as the wait from `now`: delay-seconds, or an
/// HTTP-date (§5.6.7) in the preferred IMF-fixdate form or either obsolete one (RFC 850,
/// asctime), which recipients must still accept. A date in the past means "now"; anything else
/// is not a `Retry-After` and is ignored (nil). Parsed by hand: DateFormatter depends on locale
/// settings and accepts more than the grammar.
package enum RetryAfter {
    package static func parse(_ header: String, now: Date) -> Duration? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // Longer than a day's worth of digits overflows nothing: callers cap the wait anyway.
            return .seconds(Int(text) ?? Int(Int32.max))
        }
        guard let date = httpDate(text, now: now) else { return nil }
        return .seconds(max(0, date - Int(now.timeIntervalSince1970.rounded(.down))))
    }

    private static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the epoch.
    private static func httpDate(_ text: String, now: Date) -> Int? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        if words.count == 6, words[0].hasSuffix(","), shortDays.contains(String(words[0].dropLast())), words[5] == "GMT",
           words[1].count == 2, words[3].count == 4 {
            return timestamp(year: number(words[3]), month: month(words[2]), day: number(words[1]), time: words[4])
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        if words.count == 4, words[0].hasSuffix(","), longDays.contains(String(words[0].dropLast())), words[3] == "GMT" {
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 2, parts[2].count == 2, let yy = number(parts[2]) else { return nil }
            return timestamp(year: fullYear(yy, now: now), month: month(parts[1]), day: number(parts[0]), time: words[2])
        }
        // asctime: Sun Nov  6 08:49:37 1994
        if words.count == 5, shortDays.contains(String(words[0])), words[2].count <= 2, words[4].count == 4 {
            return timestamp(year: number(words[4]), month: month(words[1]), day: number(words[2]), time: words[3])
        }
        return nil
    }

    /// RFC 9110: a two-digit year more than 50 years ahead is the latest past year with those digits.
    private static func fullYear(_ yy: Int, now: Date) -> Int {
        let current = 1970 + Int(now.timeIntervalSince1970 / 31_556_952)
        var year = current - current % 100 + yy
        if year > current + 50 { year -= 100 }
        return year
    }

    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    private static func month(_ text: Substring) -> Int? {
        months.firstIndex(of: String(text)).map { $0 + 1 }
    }

    private static func timestamp(year: Int?, month: Int?, day: Int?, time: Substring) -> Int? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard let year, let month, let day, clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = number(clock[0]), let minute = number(clock[1]), let second = number(clock[2]),
              hour < 24, minute < 60, second <= 60, day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return daysFromEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (proleptic Gregorian; H. Hinnant's days_from_civil).
    private static func daysFromEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
