import Foundation
import Logging
import OrchestratorCore
import Synchronization
@testable import Worker

/// Collects what a runtime streams, in order.
final class StreamRecorder: Sendable {
    private let chunks = Mutex<[String]>([])
    var all: [String] { chunks.withLock { $0 } }
    func record(_ chunk: String) { chunks.withLock { $0.append(chunk) } }
}

func makeContext(
    id: String = UUID().uuidString.lowercased(),
    input: String = #"{"n":1}"#,
    timeout: Duration = .seconds(20),
    attempt: Int = 1,
    recorder: StreamRecorder = StreamRecorder()
) -> JobContext {
    JobContext(
        job: ClaimedJob(id: id, endpoint: "ep", input: input, executionTimeout: timeout.wholeMilliseconds, attempt: attempt),
        timeout: timeout,
        logger: Logger(label: "test"),
        onStream: { recorder.record($0) }
    )
}

/// True while any process of the group led by `pid` is alive. Zombies do not count: an
/// orphaned child is reaped by whatever PID 1 the machine has, whenever it gets to it.
func processGroupAlive(_ pid: Int32) -> Bool {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries where Int32(entry) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state, ppid, pgrp.
        if fields.count > 2, fields[2] == "\(pid)", fields[0] != "Z" { return true }
    }
    return false
}

/// True while the process exists and is not a zombie.
func processAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("orch-worker-test-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
