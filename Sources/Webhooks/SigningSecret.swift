import Foundation

/// The one rule for signing secrets: a subscription's and the notifier's global
/// `--signing-secret` alike. A `whsec_` secret is a Standard Webhooks key: receivers decode the
/// base64 after the prefix, so one that is not base64 (which ``WebhookSigner`` would otherwise
/// use as raw text) would make every receiver's verification fail. Other secrets are keys as text.
public enum SigningSecret {
    /// What is wrong with `secret`, worded to follow its name ("'secret' must ..."), or nil.
    public static func problem(_ secret: String) -> String? {
        guard !secret.isEmpty, secret.count <= 256 else { return "must be 1 to 256 characters" }
        if secret.hasPrefix("whsec_") {
            guard let key = Data(base64Encoded: String(secret.dropFirst(6))), key.count >= 16 else {
                return "starting with whsec_ must continue with base64 of at least 16 bytes"
            }
        }
        return nil
    }
}
