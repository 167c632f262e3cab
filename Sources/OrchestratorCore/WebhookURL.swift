import Foundation

/// The one rule for webhook targets, for jobs and subscriptions alike.
public enum WebhookURL {
    /// An absolute `http://` or `https://` URL with a host.
    public static func isValid(_ text: String) -> Bool {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return false }
        return true
    }

    /// What a refused `field` says, the same wherever a webhook URL is given.
    public static func refusal(field: String, value: String) -> String {
        "'\(field)' must be an absolute http:// or https:// URL, got '\(value)'"
    }
}
