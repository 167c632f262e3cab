import CChildSpawn
import Dispatch
import Foundation
import Synchronization

/// A child process in a process group of its own, so that a signal reaches everything it
/// started (a `sh -c` wrapper and its children alike), and that dies with this process: it
/// gets SIGKILL as its parent-death signal, and the rest of its group is killed by a watchdog
/// process when this one dies (Sources/CChildSpawn says how and why).
///
/// Foundation's `Process` on Linux reaps children on its own schedule; here the owner
/// waits with `waitpid` on a Dispatch thread, so exit is seen at once and never blocks
/// Swift's cooperative pool.
public final class ChildProcess: Sendable {
    /// What a standard stream of the child is connected to.
    public enum Stream: Sendable {
        /// /dev/null.
        case null
        /// A pipe; the parent's end is in ``standardInput``/``standardOutput``/``standardError``.
        case pipe
        /// Appended to a file.
        case file(String)
        /// The parent's own stream.
        case inherit
    }

    public let pid: pid_t
    /// The parent's end of the child's stdin pipe, when `.pipe` was asked for.
    public let standardInput: FileHandle?
    public let standardOutput: FileHandle?
    public let standardError: FileHandle?
    public let executable: String
    private let exit = Mutex<ExitStatus?>(nil)

    /// How a child ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit code \(code)"
            case .signalled(let signal): "killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGTERM ? " (SIGTERM)" : "")"
            }
        }

        public var succeeded: Bool { self == .exited(0) }
    }

    private init(pid: pid_t, executable: String, stdin: FileHandle?, stdout: FileHandle?, stderr: FileHandle?) {
        self.pid = pid
        self.executable = executable
        self.standardInput = stdin
        self.standardOutput = stdout
        self.standardError = stderr
    }

    /// Starts `executable` (a path, or a name looked up on `PATH`) with `arguments`.
    public static func spawn(
        _ executable: String,
        arguments: [String] = [],
        environment: [String: String]? = nil,
        stdin: Stream = .null,
        stdout: Stream = .inherit,
        stderr: Stream = .inherit
    ) throws -> ChildProcess {
        _ = ignoreBrokenPipes
        return try spawnNow(executable, arguments: arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
    }

    /// A child that exits without reading its stdin makes our next write to it raise SIGPIPE,
    /// whose default action kills this whole process (seen: a test run dying of it). Whoever
    /// starts children writes to their pipes, so ignoring it here, once, turns that into the
    /// write's EPIPE error, which the caller handles.
    private static let ignoreBrokenPipes: Void = {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }()

    private static func spawnNow(
        _ executable: String,
        arguments: [String],
        environment: [String: String]?,
        stdin: Stream,
        stdout: Stream,
        stderr: Stream
    ) throws -> ChildProcess {
        let path = try resolve(executable, environment: environment)
        var parentEnds: [Int32: FileHandle] = [:]
        // Our copies of what becomes the child's 0, 1 and 2 (all close-on-exec), closed once
        // it has exec'd.
        var childEnds: [Int32] = [-1, -1, -1]
        defer { for fd in childEnds where fd >= 0 { close(fd) } }
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit:
                break
            case .null:
                childEnds[Int(target)] = try open(path: "/dev/null", flags: target == 0 ? O_RDONLY : O_WRONLY)
            case .file(let file):
                childEnds[Int(target)] = try open(path: file, flags: O_WRONLY | O_CREAT | O_APPEND)
            case .pipe:
                // Close-on-exec from the start (pipe2), so a child started at the same moment
                // from another thread never inherits this pipe (which would hide its EOF).
                var fds: [Int32] = [-1, -1]
                guard orch_pipe_cloexec(&fds) == 0 else { throw ChildProcessError.spawnFailed(path, errno: errno) }
                let (childEnd, parentEnd) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                childEnds[Int(target)] = childEnd
                parentEnds[target] = FileHandle(fileDescriptor: parentEnd, closeOnDealloc: true)
            }
        }

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = environmentList.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var pid: pid_t = 0
        let result = path.withCString { cPath in
            argv.withUnsafeBufferPointer { argvBuffer in
                envp.withUnsafeBufferPointer { envpBuffer in
                    var request = orch_spawn_request(
                        path: cPath, argv: argvBuffer.baseAddress, envp: envpBuffer.baseAddress,
                        fds: (childEnds[0], childEnds[1], childEnds[2]))
                    return orch_spawn(&request, &pid)
                }
            }
        }
        guard result == 0 else { throw ChildProcessError.spawnFailed(path, errno: result) }
        orch_watch_group(pid)
        return ChildProcess(pid: pid, executable: path, stdin: parentEnds[0], stdout: parentEnds[1], stderr: parentEnds[2])
    }

    private static func open(path: String, flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ChildProcessError.cannotOpen(path, errno: errno) }
        return fd
    }

    /// Sends `signal` to the child's whole process group.
    public func signal(_ signal: Int32) {
        guard exit.withLock({ $0 == nil }) else { return }
        _ = kill(-pid, signal)
    }

    /// The exit status if the child has ended (reaping it), else nil. Never blocks.
    public func poll() -> ExitStatus? {
        exit.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            known = Self.reaped(pid, status)
            return known
        }
    }

    /// Waits for the child to end, on a Dispatch thread.
    public func wait() async -> ExitStatus {
        if let known = poll() { return known }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.waitBlocking())
            }
        }
    }

    /// Waits for the child to end, blocking the calling thread (never call on the cooperative pool).
    public func waitBlocking() -> ExitStatus {
        while true {
            if let known = poll() { return known }
            var status: Int32 = 0
            let result = waitpid(pid, &status, 0)
            if result == pid {
                let decoded = Self.reaped(pid, status)
                exit.withLock { $0 = decoded }
                return decoded
            }
            if result < 0 && errno != EINTR {
                // Reaped elsewhere (or not our child): report what we know.
                return exit.withLock { $0 } ?? .exited(-1)
            }
        }
    }

    /// Decodes a status `waitpid` just returned. The pid is free for reuse from now on, so the
    /// watchdog must forget its group before a new process could get that number.
    private static func reaped(_ pid: pid_t, _ status: Int32) -> ExitStatus {
        orch_unwatch_group(pid)
        return decode(status)
    }

    private static func decode(_ status: Int32) -> ExitStatus {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    private static func resolve(_ executable: String, environment: [String: String]?) throws -> String {
        if executable.contains("/") { return executable }
        let path = (environment ?? ProcessInfo.processInfo.environment)["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
            let candidate = "\(folder)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw ChildProcessError.notFound(executable)
    }
}

public enum ChildProcessError: Error, CustomStringConvertible, Sendable {
    case notFound(String)
    case spawnFailed(String, errno: Int32)
    /// A file meant as the child's stdin, stdout or stderr could not be opened.
    case cannotOpen(String, errno: Int32)

    public var description: String {
        switch self {
        case .notFound(let name): "'\(name)' not found on PATH"
        case .cannotOpen(let path, let code): "cannot open \(path) for a child process: \(String(cString: strerror(code)))"
        case .spawnFailed(let path, let code): "cannot start \(path): \(String(cString: strerror(code)))"
        }
    }
}
