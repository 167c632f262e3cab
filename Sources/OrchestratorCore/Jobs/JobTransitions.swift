/// The state machine of DESIGN.md, as data: which moves exist and who makes them.
///
/// The Lua scripts enforce it inside Redis; this table is what tests check them against
/// (every pair, allowed and refused) and what the README shows.
public enum JobTransitions {
    public enum Actor: String, Sendable { case api, worker, reaper }

    public struct Move: Sendable, Hashable {
        public let from: JobStatus?
        public let to: JobStatus
        public let actor: Actor
    }

    public static let all: [Move] = [
        Move(from: nil, to: .inQueue, actor: .api),
        Move(from: .inQueue, to: .inProgress, actor: .worker),
        Move(from: .inQueue, to: .cancelled, actor: .api),
        Move(from: .inQueue, to: .timedOut, actor: .reaper),
        Move(from: .inProgress, to: .completed, actor: .worker),
        Move(from: .inProgress, to: .failed, actor: .worker),
        Move(from: .inProgress, to: .timedOut, actor: .worker),
        Move(from: .inProgress, to: .cancelled, actor: .api),
        Move(from: .inProgress, to: .inQueue, actor: .reaper),
        Move(from: .inProgress, to: .inQueue, actor: .worker),
        Move(from: .inProgress, to: .failed, actor: .reaper),
        Move(from: .failed, to: .inQueue, actor: .api),
        Move(from: .timedOut, to: .inQueue, actor: .api),
        Move(from: .cancelled, to: .inQueue, actor: .api),
    ]

    public static func isAllowed(from: JobStatus?, to: JobStatus) -> Bool {
        all.contains { $0.from == from && $0.to == to }
    }
}
