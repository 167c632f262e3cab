import Crypto
import Foundation
import OrchestratorCore

/// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with
/// the secret's bytes (the base64 after `whsec_`, or the text itself for other secrets).
package struct WebhookSigner: Sendable {
    private let key: [UInt8]
    private let secretText: [UInt8]

    package init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = Array(decoded)
        } else {
            key = Array(secret.utf8)
        }
        secretText = Array(secret.utf8)
    }

    package func signature(id: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The older `X-Webhook-Signature` convention: hex HMAC-SHA256 of the raw body, keyed with
    /// the secret exactly as written (`whsec_` included), which is what such receivers hold.
    package func hexBodySignature(body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: secretText))
        return Hex.encode(mac)
    }
}
