import Foundation

/// The one rule for webhook targets, for jobs and subscriptions alike.
public enum WebhookURL {
    /// An absolute `http://` or `https://` URL with a host, and without spaces or control
    /// characters anywhere. Foundation's parser percent-encodes those silently (a "\r\n" escaped
    /// in the JSON string became part of the path), so the URL called would not be the one the
    /// client wrote; percent-encoded forms (`%20`, `%0D`) are how to send them.
    public static func isValid(_ text: String) -> Bool {
        guard !text.unicodeScalars.contains(where: isRefused),
              let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return false }
        return true
    }

    /// What a refused `field` says, the same wherever a webhook URL is given.
    public static func refusal(field: String, value: String) -> String {
        "'\(field)' must be an absolute http:// or https:// URL without spaces or control characters, got '\(value)'"
    }

    /// C0 and C1 controls, DEL, and every Unicode space (U+00A0, U+2028, ...).
    private static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
    }
}
