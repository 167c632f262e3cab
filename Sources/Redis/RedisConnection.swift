import CHiredis
import CoreMetrics
import Foundation
import Synchronization

/// One hiredis connection, used synchronously.
///
/// Not thread-safe: each instance is created and used on exactly one `ConnectionThread`
/// (see ``RedisClient/withConnection(_:)``), so blocking hiredis calls never run on Swift's
/// cooperative pool. A broken connection is dropped and remade on the next command, after a
/// capped exponential backoff when connecting keeps failing.
public final class RedisConnection {
    public let configuration: RedisConfiguration
    private var context: UnsafeMutablePointer<redisContext>?
    private var backoff: Backoff
    private var nextConnectAttempt: ContinuousClock.Instant?
    private let interruptor: ConnectionInterruptor

    init(configuration: RedisConfiguration, interruptor: ConnectionInterruptor) {
        self.configuration = configuration
        self.backoff = Backoff(initial: configuration.initialBackoff, maximum: configuration.maxBackoff)
        self.interruptor = interruptor
    }

    /// A connection used on its own (not from a pool's thread), e.g. to probe a server.
    public convenience init(configuration: RedisConfiguration) {
        self.init(configuration: configuration, interruptor: ConnectionInterruptor())
    }

    deinit { drop() }

    /// True while a connection is open (it may still turn out to be broken on the next command).
    public var isConnected: Bool { context != nil }

    /// Sends one command and waits for its reply. Error replies throw ``RedisError/server(command:message:)``.
    /// - Parameter blockingFor: for blocking commands (`BLMOVE`, `XREADGROUP BLOCK`), how long the
    ///   server may hold the reply; it is added to the command timeout for this call only.
    public func send(_ command: RedisCommand, blockingFor: Duration? = nil) throws -> RedisValue {
        let reply = try sendAllowingErrorReply(command, blockingFor: blockingFor)
        if case .error(let message) = reply {
            throw RedisError.server(command: command.name, message: message)
        }
        return reply
    }

    public func send(_ name: String, _ arguments: any RedisArgumentConvertible...) throws -> RedisValue {
        try send(RedisCommand(name, arguments))
    }

    /// Like ``send(_:blockingFor:)`` but returns an error reply as ``RedisValue/error(_:)``.
    public func sendAllowingErrorReply(_ command: RedisCommand, blockingFor: Duration? = nil) throws -> RedisValue {
        let context = try connectedContext()
        if let blockingFor {
            redisSetTimeout(context, timeval(configuration.commandTimeout + blockingFor))
        }
        let raw = command.withArgv { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw failure(command: command.name) }
        defer { freeReplyObject(raw) }
        if blockingFor != nil {
            redisSetTimeout(context, timeval(configuration.commandTimeout))
        }
        return RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends all commands in one write and reads all replies: one round trip.
    /// Error replies come back in place as ``RedisValue/error(_:)``; connection failures throw.
    public func pipeline(_ commands: [RedisCommand]) throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let context = try connectedContext()
        for command in commands {
            let status = command.withArgv { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw failure(command: command.name) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for command in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw failure(command: command.name)
            }
            replies.append(RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Runs the commands between `MULTI` and `EXEC` in one round trip and returns `EXEC`'s replies.
    /// Throws ``RedisError/server(command:message:)`` when Redis aborts the transaction.
    public func transaction(_ commands: [RedisCommand]) throws -> [RedisValue] {
        let replies = try pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        guard let exec = replies.last else { throw RedisError.other("no reply to EXEC") }
        switch exec {
        case .array(let results): return results
        case .error(let message): throw RedisError.server(command: "EXEC", message: message)
        case .null: throw RedisError.server(command: "EXEC", message: "transaction aborted (WATCH)")
        default: throw RedisError.other("unexpected reply to EXEC: \(exec)")
        }
    }

    /// Closes the connection; the next command opens a new one.
    public func close() { drop() }

    /// Drops the connection when the server has closed it while it sat idle (a restart,
    /// `CLIENT KILL`, its idle `timeout`), so the next command goes out on a new one instead of
    /// failing. The server's FIN is already in our socket by then, so a poll with no wait sees
    /// it without a round trip. Call only with nothing in flight: an unread reply would count
    /// as data (and keeps the connection, as any data does).
    func dropIfClosedByServer() {
        guard let context else { return }
        let fd = context.pointee.fd
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return }
        if descriptor.revents & Int16(POLLIN) != 0 {
            var byte: UInt8 = 0
            let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if peeked > 0 || (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) { return }
        }
        // End of file, a reset, or POLLHUP/POLLERR: nothing can be sent on it any more.
        drop()
    }

    // MARK: - Pub/Sub support (used by RedisSubscriber on its own thread)

    /// Writes a command without waiting for its reply (for SUBSCRIBE/UNSUBSCRIBE on a subscriber connection).
    func write(_ command: RedisCommand) throws {
        let context = try connectedContext()
        let status = command.withArgv { argc, argv, lengths in
            redisAppendCommandArgv(context, argc, argv, lengths)
        }
        guard status == REDIS_OK else { throw failure(command: command.name) }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw failure(command: command.name) }
        }
    }

    /// Waits up to `timeout` for one pushed reply (a Pub/Sub message) without breaking the
    /// connection when nothing arrives. Returns nil on timeout.
    /// `wakeDescriptor` (a pipe) ends the wait early when it becomes readable.
    func readPushed(timeout: Duration, wakeDescriptor: Int32) throws -> RedisValue? {
        let context = try connectedContext()
        if let value = try bufferedReply(context) { return value }
        var descriptors = [
            pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, 2, Int32(timeout.milliseconds))
        if ready < 0 {
            if errno == EINTR { return nil }
            throw failure(command: "SUBSCRIBE")
        }
        guard descriptors[0].revents != 0 else { return nil }
        guard redisBufferRead(context) == REDIS_OK else { throw failure(command: "SUBSCRIBE") }
        return try bufferedReply(context)
    }

    private func bufferedReply(_ context: UnsafeMutablePointer<redisContext>) throws -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(context.pointee.reader, &raw) == REDIS_OK else {
            throw failure(command: "SUBSCRIBE")
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisValue(reply: raw.assumingMemoryBound(to: redisReply.self))
    }

    // MARK: - Connecting

    private func connectedContext() throws -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        if let nextConnectAttempt {
            let wait = nextConnectAttempt - .now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
        }
        do {
            let context = try connect()
            backoff.reset()
            nextConnectAttempt = nil
            return context
        } catch {
            nextConnectAttempt = .now + backoff.next()
            throw error
        }
    }

    private func connect() throws -> UnsafeMutablePointer<redisContext> {
        let endpoint = configuration.endpointDescription
        let tv = timeval(configuration.connectTimeout)
        let made: UnsafeMutablePointer<redisContext>?
        switch configuration.address {
        case .tcp(let host, let port): made = redisConnectWithTimeout(host, Int32(port), tv)
        case .unix(let path): made = redisConnectUnixWithTimeout(path, tv)
        }
        guard let made else { throw RedisError.connectFailed(endpoint: endpoint, reason: "out of memory") }
        guard made.pointee.err == 0 else {
            let reason = errorString(made)
            redisFree(made)
            Counter(label: "orchestrator_redis_errors_total", dimensions: [("role", configuration.role)]).increment()
            throw RedisError.connectFailed(endpoint: endpoint, reason: reason)
        }
        redisSetTimeout(made, timeval(configuration.commandTimeout))
        // Job handlers are spawned from this process; they must not inherit Redis sockets.
        _ = fcntl(made.pointee.fd, F_SETFD, FD_CLOEXEC)
        if case .tcp = configuration.address { _ = redisEnableKeepAlive(made) }
        context = made
        interruptor.attach(made.pointee.fd)
        do {
            if let password = configuration.password {
                var auth = RedisCommand("AUTH", password)
                if let username = configuration.username { auth = RedisCommand("AUTH", username, password) }
                try handshake(auth, endpoint: endpoint)
            }
            if configuration.database != 0 {
                try handshake(RedisCommand("SELECT", configuration.database), endpoint: endpoint)
            }
        } catch {
            drop()
            throw error
        }
        return made
    }

    private func handshake(_ command: RedisCommand, endpoint: String) throws {
        do {
            _ = try send(command)
        } catch RedisError.server(_, let message) {
            throw RedisError.connectFailed(endpoint: endpoint, reason: "\(command.name) refused: \(message)")
        } catch let error as RedisError {
            throw RedisError.connectFailed(endpoint: endpoint, reason: "\(command.name) failed: \(error)")
        }
    }

    /// Turns the context's error into a typed error and drops the (now unusable) connection.
    private func failure(command: String) -> RedisError {
        Counter(label: "orchestrator_redis_errors_total", dimensions: [("role", configuration.role)]).increment()
        guard let context else { return .closed }
        let code = context.pointee.err
        let savedErrno = errno
        let reason = errorString(context)
        drop()
        let endpoint = configuration.endpointDescription
        switch code {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || reason.contains("temporarily unavailable"):
            return .timeout(endpoint: endpoint, command: command)
        case REDIS_ERR_IO, REDIS_ERR_EOF:
            return .connectionLost(endpoint: endpoint, reason: reason)
        default:
            return .other("\(command): \(reason)")
        }
    }

    private func drop() {
        guard let context else { return }
        interruptor.detach()
        redisFree(context)
        self.context = nil
    }

    private func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Lets another thread abort a blocking read on a connection (shutting its socket down),
/// for cancelling a `BLMOVE` or stopping a subscriber. The descriptor is only read and
/// shut down under the lock, and detached before hiredis closes it, so no other socket
/// that reuses the number is ever touched.
final class ConnectionInterruptor: Sendable {
    private let descriptor = Mutex<Int32>(-1)

    func attach(_ fd: Int32) { descriptor.withLock { $0 = fd } }
    func detach() { descriptor.withLock { $0 = -1 } }

    func interrupt() {
        descriptor.withLock { fd in
            if fd >= 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
}

extension RedisCommand {
    /// Calls `body` with hiredis' argv/argvlen arrays, pointing into one contiguous buffer.
    func withArgv<R>(
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.count + 1 })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
            storage.append(0)
        }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lens in
                    body(Int32(arguments.count), argv.baseAddress!, lens.baseAddress!)
                }
            }
        }
    }
}

extension RedisValue {
    init(reply: UnsafePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.bytes(reply.str, reply.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(reply.integer))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = reply.element[index] {
                    values.append(RedisValue(reply: element))
                } else {
                    values.append(.null)
                }
            }
            self = .array(values)
        default:
            self = .error("unsupported reply type \(reply.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}

private func timeval(_ duration: Duration) -> Glibc.timeval {
    let parts = duration.components
    return Glibc.timeval(tv_sec: Int(parts.seconds), tv_usec: Int(parts.attoseconds / 1_000_000_000_000))
}
