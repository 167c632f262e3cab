/// Endpoint (queue) names: what RunPod ids and people's queue names use, and safe in Redis keys.
public enum EndpointName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }
}
