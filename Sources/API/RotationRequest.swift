import OrchestratorCore
import Webhooks

/// The body of `POST /api/webhooks/{id}/secret/rotate`: `{"secret"?, "overlap"?}` — the new
/// secret (generated when absent) and how long, in seconds, the old one keeps signing beside it
/// (default 24 h, as Svix; 0 ends it at once; at most 30 days).
struct RotationRequest {
    static let defaultOverlap = Duration.seconds(24 * 3600)
    static let maxOverlapSeconds = 30 * 24 * 3600

    let secret: String?
    let overlap: Duration

    init(_ body: [UInt8]) throws {
        let blank = body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let members = blank ? [:] : try TestRequest.members(body)
        secret = try TestRequest.string(members, "secret")
        if let secret {
            do { try SubscriptionInput.validateSecret(secret) } catch { throw APIError(.badRequest, error.message) }
        }
        if let member = members["overlap"], member.kind != .null {
            guard member.kind == .number, let seconds = Int(member.text), (0...Self.maxOverlapSeconds).contains(seconds) else {
                throw APIError(.badRequest, "'overlap' must be a whole number of seconds from 0 to \(Self.maxOverlapSeconds)")
            }
            overlap = .seconds(seconds)
        } else {
            overlap = Self.defaultOverlap
        }
    }
}
