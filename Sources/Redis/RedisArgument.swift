/// A value that can be sent as one argument of a Redis command, as raw bytes.
public protocol RedisArgumentConvertible: Sendable {
    var redisArgument: [UInt8] { get }
}

extension String: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(utf8) }
}

extension Int: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgumentConvertible {
    public var redisArgument: [UInt8] { Array(String(self).utf8) }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public var redisArgument: [UInt8] { self }
}

/// One command: its name and arguments, already as bytes.
public struct RedisCommand: Sendable, Hashable {
    public var arguments: [[UInt8]]

    public init(_ name: String, _ arguments: [any RedisArgumentConvertible]) {
        self.arguments = [Array(name.utf8)] + arguments.map(\.redisArgument)
    }

    public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        self.init(name, arguments)
    }

    public init(rawArguments: [[UInt8]]) {
        self.arguments = rawArguments
    }

    /// The command's name, for error messages and logs (never its arguments: they may hold user data).
    public var name: String {
        arguments.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? "?"
    }
}
