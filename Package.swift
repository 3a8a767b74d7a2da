// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Banli",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "banli", targets: ["banli"]),
        .executable(name: "banli-bench", targets: ["BanliBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "BanliCore"),
        .target(name: "BanliCompression", dependencies: ["BanliCore", "CZstd", "CZlib"]),
        .target(name: "BanliOffice", dependencies: ["BanliCore"]),
        .target(name: "BanliProtocol", dependencies: ["BanliCore"]),
        .target(
            name: "BanliPages",
            dependencies: ["BanliCore", "BanliOffice", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .target(name: "BanliSecrets", dependencies: ["BanliCore", "COpenSSL"]),
        .target(name: "BanliAccounts", dependencies: ["BanliCore", "BanliSecrets"]),
        .target(name: "BanliHubStorage", dependencies: ["BanliCore", "BanliProtocol", "BanliOffice", "BanliSecrets"]),
        .target(
            name: "BanliOps",
            dependencies: [
                "BanliCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "BanliWeb",
            dependencies: [
                "BanliCore", "BanliOffice", "BanliPages", "BanliHubStorage", "BanliAccounts", "BanliOps", "BanliSecrets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "BanliStore",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliOffice", "BanliHubStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "BanliSecrets", "BanliAccounts",
            ]
        ),
        .target(
            name: "BanliPostgres",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliHubStorage", "BanliSecrets",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "BanliSync",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliStore", "BanliOps", "BanliCompression", "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BanliRemind",
            dependencies: [
                "BanliCore", "BanliOffice", "BanliHubStorage", "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "BanliHub",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliOffice", "BanliPages", "BanliHubStorage", "BanliSecrets", "BanliOps", "BanliCompression",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "banli",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliOffice", "BanliPages", "BanliStore", "BanliOps", "BanliSync", "BanliHub", "BanliPostgres",
                "BanliAccounts", "BanliSecrets", "BanliWeb", "BanliRemind",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "BanliBench",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliStore", "BanliSync", "BanliHub", "BanliPages", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["BanliCore", "BanliOffice", "CCurl"], path: "Tests/TestSupport"),
        .testTarget(name: "BanliCoreTests", dependencies: ["BanliCore", "BanliProtocol", "TestSupport"]),
        .testTarget(name: "BanliProtocolTests", dependencies: ["BanliCore", "BanliProtocol", "TestSupport"]),
        .testTarget(name: "BanliOfficeTests", dependencies: ["BanliCore", "BanliOffice", "TestSupport"]),
        .testTarget(name: "BanliPagesTests", dependencies: ["BanliCore", "BanliOffice", "BanliPages", "TestSupport"]),
        .target(
            name: "HubStorageConformance", dependencies: ["BanliCore", "BanliProtocol", "BanliHubStorage"], path: "Tests/HubStorageConformance"
        ),
        .testTarget(
            name: "BanliStoreTests",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliHubStorage", "BanliStore", "HubStorageConformance", "BanliAccounts",
                // A store made by an earlier schema, for the migration tests.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "BanliSecretsTests", dependencies: ["BanliSecrets"]),
        .testTarget(name: "BanliCompressionTests", dependencies: ["BanliCompression", "CZstd", "TestSupport"]),
        .testTarget(name: "BanliAccountsTests", dependencies: ["BanliCore", "BanliSecrets", "BanliAccounts"]),
        .testTarget(
            name: "BanliWebTests",
            dependencies: [
                "BanliCore", "BanliOffice", "BanliOps", "BanliPages", "BanliHubStorage", "BanliStore", "BanliAccounts", "BanliWeb", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "BanliPostgresTests",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliHubStorage", "BanliPostgres", "HubStorageConformance", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "BanliRemindTests", dependencies: ["BanliCore", "BanliOffice", "BanliRemind", "BanliStore", "BanliHubStorage"]),
        .testTarget(name: "BanliSyncTests", dependencies: ["BanliCore", "BanliProtocol", "BanliStore", "BanliSync", "TestSupport"]),
        .testTarget(
            name: "BanliHubTests",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliOffice", "BanliPages", "BanliHubStorage", "BanliStore", "BanliOps", "BanliHub",
                "BanliCompression", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "BanliCore", "BanliProtocol", "BanliOffice", "BanliOps", "BanliHubStorage", "BanliStore", "BanliPostgres", "BanliSync", "banli",
                "BanliAccounts", "BanliCompression", "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
