import Foundation

/// The SSRF guard: a webhook target must not be on loopback, private, link-local (cloud
/// metadata at 169.254.169.254 among them), shared, multicast or unspecified addresses.
package enum AddressGuard {
    package struct Refusal: Error, CustomStringConvertible {
        package let description: String
    }

    /// Resolves `host` (blocking: call off the cooperative pool) and returns its addresses,
    /// or throws when it cannot be resolved or any address is not public.
    package static func publicAddresses(of host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw Refusal(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let text = numericHost(entry.pointee.ai_addr, entry.pointee.ai_addrlen) {
                guard isPublic(text) else {
                    throw Refusal(description: "refused: \(host) resolves to \(text), a private, loopback or link-local address (start the notifier with --allow-private-webhooks to allow it)")
                }
                addresses.append(text)
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> String? {
        guard let address else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True for addresses a webhook may go to.
    package static func isPublic(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let value = UInt32(bigEndian: v4.s_addr)
            let a = value >> 24, b = (value >> 16) & 0xff
            if a == 0 || a == 10 || a == 127 { return false }
            if a == 169 && b == 254 { return false }
            if a == 172 && (16...31).contains(b) { return false }
            if a == 192 && b == 168 { return false }
            if a == 100 && (64...127).contains(b) { return false }  // shared (carrier-grade NAT)
            if a >= 224 { return false }  // multicast, reserved, broadcast
            return true
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes.allSatisfy({ $0 == 0 }) { return false }  // ::
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return false }  // ::1
        if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { return false }  // fe80::/10 link-local
        if (bytes[0] & 0xfe) == 0xfc { return false }  // fc00::/7 unique local
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return isPublic("\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])")  // IPv4-mapped
        }
        return true
    }
}
