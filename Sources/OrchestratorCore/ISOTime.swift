import Foundation

/// ISO 8601 UTC times for payloads and API answers (`2026-11-26T03:21:45.123Z`), formatted by
/// hand: Foundation's formatters are not Sendable and slow to create per call.
public enum ISOTime {
    public static func string(milliseconds: Int) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds % 1000)
    }

    public static var nowMilliseconds: Int { Int(Date().timeIntervalSince1970 * 1000) }
}
