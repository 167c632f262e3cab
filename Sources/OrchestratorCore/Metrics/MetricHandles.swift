import Metrics
import Synchronization

/// swift-metrics handles by label and dimensions, made once: creating one looks the series up in
/// the registry under a lock, which is too much to do per job on the hot paths.
final class MetricHandles<Handle: Sendable>: Sendable {
    private let handles = Mutex<[String: Handle]>([:])
    private let make: @Sendable (String, [(String, String)]) -> Handle

    init(_ make: @escaping @Sendable (String, [(String, String)]) -> Handle) {
        self.make = make
    }

    func handle(_ label: String, _ dimensions: [(String, String)]) -> Handle {
        let key = dimensions.reduce(label) { $0 + "\u{0}" + $1.0 + "=" + $1.1 }
        if let known = handles.withLock({ $0[key] }) { return known }
        let made = make(label, dimensions)
        handles.withLock { $0[key] = $0[key] ?? made }
        return made
    }
}
