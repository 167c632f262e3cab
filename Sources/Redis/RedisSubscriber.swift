import Foundation
import Logging
import Synchronization

/// Pub/Sub on a connection and a thread of its own.
///
/// Any number of tasks subscribe to channels; the subscriber keeps one server-side
/// subscription per channel, resubscribes everything after a reconnect, and hands each
/// message to every local subscriber of its channel. Messages published while the
/// connection was down are lost (that is Pub/Sub), so users treat a message as a hint
/// to re-read state, never as the state itself.
public final class RedisSubscriber: Sendable {
    private struct State: Sendable {
        var listeners: [String: [UInt64: AsyncStream<[UInt8]>.Continuation]] = [:]
        var waitingForAck: [String: [CheckedContinuation<Void, any Error>]] = [:]
        var nextListener: UInt64 = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let wakePipe: (read: Int32, write: Int32)
    private let logger: Logger

    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "redis.subscriber")) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        self.wakePipe = (fds[0], fds[1])
        self.logger = logger
        let thread = Thread { [self] in
            self.run(RedisConnection(configuration: configuration, interruptor: ConnectionInterruptor()))
        }
        thread.name = "redis-subscriber"
        thread.start()
    }

    /// Subscribes to `channel` and returns once Redis has confirmed the subscription, so a
    /// message published after this returns is delivered.
    public func subscribe(_ channel: String) async throws -> RedisSubscription {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let (id, alreadyActive) = state.withLock { state -> (UInt64, Bool) in
            state.nextListener += 1
            let active = state.listeners[channel] != nil && state.waitingForAck[channel] == nil
            state.listeners[channel, default: [:]][state.nextListener] = continuation
            return (state.nextListener, active)
        }
        let subscription = RedisSubscription(channel: channel, messages: stream) { [weak self] in
            self?.remove(channel: channel, id: id)
        }
        continuation.onTermination = { [weak self] _ in self?.remove(channel: channel, id: id) }
        if !alreadyActive {
            do {
                try await withCheckedThrowingContinuation { (ack: CheckedContinuation<Void, any Error>) in
                    let stopped = state.withLock { state -> Bool in
                        if state.stopped { return true }
                        state.waitingForAck[channel, default: []].append(ack)
                        return false
                    }
                    if stopped { ack.resume(throwing: RedisError.closed) } else { wake() }
                }
            } catch {
                subscription.cancel()
                throw error
            }
        }
        return subscription
    }

    /// Ends every subscription and stops the thread.
    public func close() {
        let listeners = state.withLock { state in
            state.stopped = true
            return state.listeners.values.flatMap(\.values)
        }
        for listener in listeners { listener.finish() }
        wake()
    }

    private func remove(channel: String, id: UInt64) {
        let removed = state.withLock { state -> AsyncStream<[UInt8]>.Continuation? in
            let continuation = state.listeners[channel]?.removeValue(forKey: id)
            if state.listeners[channel]?.isEmpty == true { state.listeners[channel] = nil }
            return continuation
        }
        removed?.finish()
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakePipe.read, &buffer, buffer.count) > 0 {}
    }

    private func run(_ connection: RedisConnection) {
        var onServer = Set<String>()
        while true {
            let (wanted, stopped) = state.withLock { state in
                (Set(state.listeners.keys).union(state.waitingForAck.keys), state.stopped)
            }
            if stopped { break }
            do {
                if !connection.isConnected { onServer.removeAll() }
                let add = wanted.subtracting(onServer)
                if !add.isEmpty {
                    try connection.write(RedisCommand("SUBSCRIBE", add.sorted()))
                    onServer.formUnion(add)
                }
                let drop = onServer.subtracting(wanted)
                if !drop.isEmpty {
                    try connection.write(RedisCommand("UNSUBSCRIBE", drop.sorted()))
                    onServer.subtract(drop)
                }
                if let value = try connection.readPushed(timeout: .seconds(1), wakeDescriptor: wakePipe.read) {
                    deliver(value)
                }
                drainWakePipe()
            } catch {
                onServer.removeAll()
                logger.warning("subscriber connection failed; resubscribing", metadata: ["error": "\(error)"])
                failWaiters(error)
            }
        }
        connection.close()
        failWaiters(RedisError.closed)
        Glibc.close(wakePipe.read)
        Glibc.close(wakePipe.write)
    }

    private func deliver(_ value: RedisValue) {
        guard let parts = value.array, parts.count >= 3, let kind = parts[0].string, let channel = parts[1].string else {
            return
        }
        switch kind {
        case "message":
            guard let payload = parts[2].bytes else { return }
            let listeners = state.withLock { Array(($0.listeners[channel] ?? [:]).values) }
            for listener in listeners { listener.yield(payload) }
        case "subscribe":
            let waiters = state.withLock { $0.waitingForAck.removeValue(forKey: channel) ?? [] }
            for waiter in waiters { waiter.resume() }
        default:
            break
        }
    }

    private func failWaiters(_ error: any Error) {
        let waiters = state.withLock { state in
            let all = state.waitingForAck.values.flatMap { $0 }
            state.waitingForAck.removeAll()
            return all
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}

/// One local subscription to a channel. Iterate ``messages``; ``cancel()`` (or dropping the
/// iteration) unsubscribes.
public struct RedisSubscription: Sendable {
    public let channel: String
    public let messages: AsyncStream<[UInt8]>
    private let onCancel: @Sendable () -> Void

    init(channel: String, messages: AsyncStream<[UInt8]>, onCancel: @escaping @Sendable () -> Void) {
        self.channel = channel
        self.messages = messages
        self.onCancel = onCancel
    }

    public func cancel() { onCancel() }
}
