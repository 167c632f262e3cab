import OrchestratorCore
import Testing
@testable import Webhooks

@Suite("Signatures and the SSRF guard")
struct SignatureAndGuardTests {
    @Test func matchesTheStandardWebhooksSpecExample() {
        // The example of the Standard Webhooks specification.
        let signer = WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: #"{"test": 2432232314}"#)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func signingSecretRule() {
        #expect(SigningSecret.problem("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(SigningSecret.problem("plain text key") == nil)
        #expect(SigningSecret.problem("whsec_not base64!!")?.contains("base64 of at least 16 bytes") == true)
        #expect(SigningSecret.problem("whsec_c2hvcnQ=")?.contains("base64 of at least 16 bytes") == true)
        #expect(SigningSecret.problem("") == "must be 1 to 256 characters")
        #expect(SigningSecret.problem(String(repeating: "k", count: 257)) == "must be 1 to 256 characters")
    }

    @Test(arguments: [
        ("127.0.0.1", false), ("10.1.2.3", false), ("172.16.0.1", false), ("172.31.255.255", false),
        ("192.168.1.1", false), ("169.254.169.254", false), ("0.0.0.0", false), ("100.64.0.1", false),
        ("224.0.0.1", false), ("::1", false), ("::", false), ("fe80::1", false), ("fd00::1", false),
        ("::ffff:127.0.0.1", false), ("8.8.8.8", true), ("172.32.0.1", true), ("2606:4700::1111", true),
        ("not an address", false),
    ])
    func classifiesAddresses(address: String, isPublic: Bool) {
        #expect(AddressGuard.isPublic(address) == isPublic)
    }

    @Test func loopbackNamesAreRefused() {
        #expect(throws: AddressGuard.Refusal.self) { try AddressGuard.publicAddresses(of: "localhost") }
        #expect(throws: AddressGuard.Refusal.self) { try AddressGuard.publicAddresses(of: "no-such-host.invalid") }
    }

    @Test func deliveryIDsAreStablePerEventAndTarget() {
        let entry = StreamEntry(id: "1-0", event: .transition(JobTransition(job: "j", from: nil, to: .inQueue, seq: 1)))
        let a = WebhookDelivery(url: "http://x/a", entry: entry, type: .jobQueued)
        let again = WebhookDelivery(url: "http://x/a", entry: entry, type: .jobQueued)
        let other = WebhookDelivery(url: "http://x/b", entry: entry, type: .jobQueued)
        #expect(a.id == again.id && a.id != other.id)
        #expect(a.lane != other.lane && a.lane.hasPrefix("j:"))
        #expect(WebhookDelivery(stored: a.stored) == a)
    }
}
