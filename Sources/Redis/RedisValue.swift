/// One reply from Redis, as hiredis decoded it (RESP2).
///
/// Bulk strings are kept as raw bytes so binary values (NUL bytes, any encoding)
/// survive unchanged; use ``string`` for UTF-8 text.
public enum RedisValue: Sendable, Hashable {
    case bulkString([UInt8])
    case status(String)
    case integer(Int)
    case array([RedisValue])
    case null
    case error(String)

    /// The value as UTF-8 text: bulk strings and status replies; integers in decimal.
    public var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The raw bytes of a bulk string or status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// Integer replies, and bulk strings that hold a decimal integer (as `HGET` of a counter does).
    public var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes): Int(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The message of an error reply (`ERR ...`, `NOSCRIPT ...`, `WRONGTYPE ...`).
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// A flat array of field/value pairs (`HGETALL`, `XRANGE` fields) as a dictionary of strings.
    public var stringDictionary: [String: String]? {
        guard let values = array, values.count % 2 == 0 else { return nil }
        var result: [String: String] = [:]
        result.reserveCapacity(values.count / 2)
        var index = 0
        while index < values.count {
            if let key = values[index].string, let value = values[index + 1].string {
                result[key] = value
            }
            index += 2
        }
        return result
    }
}

extension RedisValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bulkString(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .status(let text): text
        case .integer(let value): "(integer) \(value)"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .null: "(nil)"
        case .error(let message): "(error) \(message)"
        }
    }
}
