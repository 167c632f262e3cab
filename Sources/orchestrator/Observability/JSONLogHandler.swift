import Foundation
import Logging
import OrchestratorCore

/// `--log-format json`: one JSON object per line on stderr, `{"ts","level","label","msg", …}`
/// with the metadata (`job`, `worker`, `endpoint`, …) as fields of their own, for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var members: [(String, JSONText.Value?)] = [
            ("ts", .string(Self.timestamp())), ("level", .string(event.level.rawValue)), ("label", .string(label)),
            ("msg", .string(event.message.description)),
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["ts", "level", "label", "msg"].contains(key) {
            members.append((key, .string(value.description)))
        }
        FileHandle.standardError.write(Data((JSONText.object(members) + "\n").utf8))
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return ISOTime.string(milliseconds: Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000)
    }
}
