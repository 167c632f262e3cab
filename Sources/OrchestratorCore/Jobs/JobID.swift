/// New job ids: random (version 4) UUIDs in lowercase, as RunPod's clients expect.
public enum JobID {
    /// From the system generator (`getrandom`), without Foundation's `UUID()`, which opened and
    /// read `/dev/urandom` for every id; two 64-bit draws, not one system call per byte.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next(), low = generator.next()
        var bytes = (0..<16).map { index in UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (UInt64(index % 8) * 8)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array(Hex.encode(bytes).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, digit) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension JobID {
    /// Ids a job of ours can have (RunPod's clients use UUIDs, some add a suffix): letters,
    /// digits, '-', '_' and '.', at most 128. Anything else (a ':' would name another key) is
    /// no job.
    public static func isPlausible(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }
}
