// swift-tools-version:6.0
import PackageDescription

// Dependencies point downwards only: orchestrator → roles (API, Worker, Notifier)
// → Webhooks (API, Notifier) → OrchestratorCore → Redis → CHiredis. Roles never import each other.
// EmbeddedRedis (a redis-server child process, for `dev` and tests) sits beside Redis.
let package = Package(
    name: "Orchestrator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orchestrator", targets: ["orchestrator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // vfork/exec with a parent-death signal, and the watchdog that kills children's process
        // groups when this process dies (C: nothing between fork and exec may run Swift code).
        .target(name: "CChildSpawn"),
        // Child processes that die with this one: redis-server for tests and `dev`, job handlers.
        .target(name: "ChildProcess", dependencies: ["CChildSpawn"]),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "OrchestratorCore",
            dependencies: [
                "Redis",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "API",
            dependencies: [
                "OrchestratorCore",
                "Webhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Worker",
            dependencies: [
                "OrchestratorCore",
                "ChildProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Webhook pieces both the notifier and the API use: deliveries and their lanes,
        // subscriptions, dead letters, templates, signing, the sender and its SSRF guard.
        .target(
            name: "Webhooks",
            dependencies: [
                "OrchestratorCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Notifier",
            dependencies: [
                "OrchestratorCore",
                "Webhooks",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "orchestrator",
            dependencies: [
                "API", "Worker", "Notifier", "Webhooks", "OrchestratorCore", "Redis", "EmbeddedRedis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A redis-server child process this process owns: `orchestrator dev` and the tests.
        .target(name: "EmbeddedRedis", dependencies: ["Redis", "ChildProcess"]),
        // Throwaway redis-servers for tests; never linked into the binary.
        .target(name: "RedisTestSupport", dependencies: ["Redis", "EmbeddedRedis"]),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "RedisTestSupport"]),
        .testTarget(name: "OrchestratorCoreTests", dependencies: ["OrchestratorCore", "RedisTestSupport"]),
        .testTarget(name: "NotifierTests", dependencies: ["Notifier", "Webhooks", "RedisTestSupport"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "RedisTestSupport"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "RedisTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "APITests", dependencies: ["API", "RedisTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]),
    ]
)
