import ChildProcess
import Foundation
import Redis
import Synchronization

/// A `redis-server` this process starts, owns and stops: for tests and `orchestrator dev`.
///
/// It listens on 127.0.0.1 only, keeps its files in its own directory, and is stopped by
/// ``stop()`` (also from `deinit`).
public final class RedisServerProcess: Sendable {
    public let port: Int
    public let directory: URL
    public let executable: String
    private let extraArguments: [String]
    private let process = Mutex<ChildProcess?>(nil)
    private let ownsDirectory: Bool

    /// Starts a server on a free port (or `port`) and waits until it answers `PING`.
    /// - Parameters:
    ///   - directory: where the server keeps its data and log; a new temporary one by default
    ///     (removed by ``stop()``).
    ///   - extraArguments: more `redis-server` options, e.g. `["--appendonly", "yes"]`.
    public static func start(
        port: Int? = nil,
        directory: URL? = nil,
        extraArguments: [String] = [],
        executable: String? = nil
    ) async throws -> RedisServerProcess {
        try await offCooperativePool {
            try startBlocking(port: port, directory: directory, extraArguments: extraArguments, executable: executable)
        }
    }

    private static func startBlocking(
        port: Int?,
        directory: URL?,
        extraArguments: [String],
        executable: String?
    ) throws -> RedisServerProcess {
        let executable = try executable ?? findExecutable("redis-server")
        var lastError: (any Error)?
        for _ in 0..<(port == nil ? 5 : 1) {
            // A failed attempt's server removes the directory it owns when it goes away, so each
            // attempt gets a directory of its own (sharing one made every retry after a lost
            // port race fail with "No such file or directory").
            let server = RedisServerProcess(
                port: try port ?? freeTCPPort(),
                directory: try directory ?? makeTemporaryDirectory(),
                executable: executable,
                extraArguments: extraArguments,
                ownsDirectory: directory == nil
            )
            do {
                try server.launch()
                return server
            } catch {
                lastError = error
            }
        }
        throw lastError ?? RedisServerError.failedToStart(reason: "unknown")
    }

    private init(port: Int, directory: URL, executable: String, extraArguments: [String], ownsDirectory: Bool) {
        self.port = port
        self.directory = directory
        self.executable = executable
        self.extraArguments = extraArguments
        self.ownsDirectory = ownsDirectory
    }

    deinit {
        terminate(signal: SIGTERM)
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    public var url: String { "redis://127.0.0.1:\(port)" }
    public var configuration: RedisConfiguration {
        RedisConfiguration(address: .tcp(host: "127.0.0.1", port: port))
    }
    public var processIdentifier: Int32? { process.withLock { $0?.pid } }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and removes a directory it created.
    public func stop() async {
        await offCooperativePool {
            self.terminate(signal: SIGTERM)
            if self.ownsDirectory { try? FileManager.default.removeItem(at: self.directory) }
        }
    }

    /// Kills the server at once (SIGKILL), keeping its directory, as a crash would.
    public func kill() async {
        await offCooperativePool { self.terminate(signal: SIGKILL) }
    }

    /// Starts the server again on the same port and directory (after ``kill()``).
    public func restart() async throws {
        try await offCooperativePool {
            self.terminate(signal: SIGTERM)
            try self.launch()
        }
    }

    private func terminate(signal: Int32) {
        guard let running = process.withLock({ process -> ChildProcess? in
            defer { process = nil }
            return process
        }) else { return }
        running.signal(signal)
        let deadline = Date().addingTimeInterval(5)
        while running.poll() == nil && Date() < deadline { usleep(2_000) }
        if running.poll() == nil {
            running.signal(SIGKILL)
            _ = running.waitBlocking()
        }
    }

    private func launch() throws {
        let logFile = directory.appendingPathComponent("redis.log").path
        let launched: ChildProcess
        do {
            launched = try ChildProcess.spawn(executable, arguments: [
                "--port", String(port),
                "--bind", "127.0.0.1",
                "--dir", directory.path,
                "--logfile", logFile,
                "--daemonize", "no",
                "--save", "",
                "--appendonly", "no",
            ] + extraArguments, stderr: .file(directory.appendingPathComponent("redis.stderr").path))
        } catch {
            throw RedisServerError.failedToStart(reason: "cannot run \(executable): \(error)")
        }
        process.withLock { $0 = launched }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let status = launched.poll() {
                let log = ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
                    + ((try? String(contentsOfFile: directory.appendingPathComponent("redis.stderr").path, encoding: .utf8)) ?? "")
                process.withLock { $0 = nil }
                throw RedisServerError.failedToStart(reason: "\(status): \(log.suffix(500))")
            }
            if Self.answersPing(port: port) { return }
            usleep(20_000)
        }
        terminate(signal: SIGKILL)
        throw RedisServerError.failedToStart(reason: "no PING reply on port \(port) within 10 s")
    }

    private static func answersPing(port: Int) -> Bool {
        var configuration = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: port))
        configuration.connectTimeout = .milliseconds(200)
        configuration.commandTimeout = .milliseconds(500)
        let connection = RedisConnection(configuration: configuration)
        defer { connection.close() }
        // Any reply counts, NOAUTH included: the server is up and listening.
        return (try? connection.sendAllowingErrorReply(RedisCommand("PING"))) != nil
    }

    /// Finds `name` on `PATH` (and in the usual sbin folders, where Debian puts redis-server).
    public static func findExecutable(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        for folder in folders {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisServerError.failedToStart(reason: "\(name) not found on PATH (apt-get install -y redis-server)")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
    public static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerError.failedToStart(reason: "socket() failed") }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw RedisServerError.failedToStart(reason: "cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("orchestrator-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public enum RedisServerError: Error, CustomStringConvertible, Sendable {
    case failedToStart(reason: String)

    public var description: String {
        switch self {
        case .failedToStart(let reason): "redis-server did not start: \(reason)"
        }
    }
}
