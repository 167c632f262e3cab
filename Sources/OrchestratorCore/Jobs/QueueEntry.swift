/// One element of an endpoint's queue: the job id, a tab, and the job's input (JSON as sent).
///
/// The input travels in the queue entry rather than in the job hash while the job waits, so a
/// queued job costs one compact hash and one list element; the claim script moves it into the
/// hash. A job's input is in exactly one place: its queue entry while it has one, else its
/// hash. The Lua side of this format is `LuaPrelude`'s `entry_id`/`entry_input`.
public struct QueueEntry: Sendable, Equatable {
    public var id: String
    public var input: String

    public init(id: String, input: String) {
        self.id = id
        self.input = input
    }

    /// Job ids never contain a tab; the input may (JSON whitespace), so only the first counts.
    public init?(_ text: String) {
        guard let tab = text.firstIndex(of: "\t") else { return nil }
        id = String(text[..<tab])
        input = String(text[text.index(after: tab)...])
    }

    public var text: String { "\(id)\t\(input)" }
}
