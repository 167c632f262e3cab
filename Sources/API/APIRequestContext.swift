import Hummingbird
import NIOCore

/// The API's request context: Hummingbird's, plus the client's connection, so a long poll can
/// tell that its client went away (a job is never handed to a poll nobody reads).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
