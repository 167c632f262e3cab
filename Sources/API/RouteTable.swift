import Hummingbird
import Synchronization

/// The router's routes (paths and methods), so a request for a path that exists under other
/// methods can be answered 405 with `Allow` instead of the router's plain 404.
final class RouteTable: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    /// Called once every route is registered (middleware is added before the routes).
    func load(_ descriptions: [Router<APIRequestContext>.RouteDescription]) {
        routes.withLock { $0 = descriptions.map { ($0.path, $0.method) } }
    }

    /// The methods some route accepts at `path`, sorted; empty when no route matches it.
    func methods(at path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/")
        let matching = routes.withLock { routes in
            routes.filter { route in
                route.path.count == components.count && zip(route.path, components).allSatisfy { $0 ~= $1 }
            }
        }
        return Set(matching.map(\.method.rawValue)).sorted().compactMap { HTTPRequest.Method($0) }
    }
}
