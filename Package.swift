// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RaftCheck",
    products: [
        .library(name: "RaftCore", targets: ["RaftCore"]),
        .library(name: "RaftSim", targets: ["RaftSim"]),
        .library(name: "RaftExplorer", targets: ["RaftExplorer"]),
        .library(name: "RaftNode", targets: ["RaftNode"]),
        .executable(name: "raftcheck", targets: ["raftcheck"]),
        .executable(name: "five-nodes", targets: ["FiveNodes"]),
        .executable(name: "raftkv", targets: ["RaftKV"]),
        .executable(name: "decoders-fuzzer", targets: ["DecodersFuzzer"]),
        .executable(name: "raftcheck-fuzzer", targets: ["ClusterFuzzer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // `swift package generate-documentation --target RaftCore` (the DocC catalog in
        // Sources/RaftCore/RaftCore.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // The production Raft core: pure value types, standard library only.
        .target(name: "RaftCore"),
        // libxxhash through pkg-config (Debian: libxxhash-dev).
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        // Search over any model: BFS, DFS, fingerprint set, counterexample paths.
        .target(name: "RaftExplorer", dependencies: ["CXXHash"]),
        // The cluster model: RaftCore nodes, storage, network, faults, history, properties.
        .target(name: "RaftSim", dependencies: ["RaftCore", "RaftExplorer", "CXXHash"]),
        // Ongaro's raft.tla as a second model, to check the explorer against TLC's counts.
        .target(name: "RaftSpecModel", dependencies: ["RaftExplorer"]),
        // The tool's files: specs (YAML) and traces (JSON) read strictly, outputs written safely.
        .target(
            name: "RaftCheckFiles",
            dependencies: ["RaftSim", "RaftExplorer", "RaftSpecModel", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "raftcheck",
            dependencies: [
                "RaftSim", "RaftExplorer", "RaftSpecModel", "RaftCheckFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `explore`'s web server on 127.0.0.1.
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The runtime an application runs RaftCore in: durable stores, transports, the Ready
        // loop and an async server API.
        .target(
            name: "RaftNode",
            dependencies: [
                "RaftCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "FiveNodes", dependencies: ["RaftCore"]),
        // A replicated key-value service on RaftNode: one member per process.
        .executableTarget(
            name: "RaftKV",
            dependencies: ["RaftNode", "RaftCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The spec and trace decoders as a libFuzzer target (`make fuzz-decoders`).
        .executableTarget(name: "DecodersFuzzer", dependencies: ["RaftCheckFiles"]),
        // The cluster model as a libFuzzer target, inputs being walks (`make fuzzer`).
        .executableTarget(name: "ClusterFuzzer", dependencies: ["RaftCheckFiles", "RaftSim", "RaftExplorer"]),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore"]),
        .testTarget(name: "CXXHashTests", dependencies: ["CXXHash"]),
        .testTarget(name: "RaftExplorerTests", dependencies: ["RaftExplorer"]),
        .testTarget(name: "RaftSpecModelTests", dependencies: ["RaftSpecModel", "RaftExplorer"]),
        .testTarget(name: "RaftNodeTests", dependencies: ["RaftNode", "RaftCore"]),
        // Runs the built `raftkv` executable: real processes, disk and sockets on 127.0.0.1.
        .testTarget(name: "RaftKVTests", dependencies: ["RaftKV", "RaftCore"]),
        .testTarget(name: "RaftSimTests", dependencies: ["RaftSim", "RaftExplorer", "RaftCore"]),
        // Runs the built `raftcheck` executable as a subprocess, and tests its parts in process.
        .testTarget(name: "raftcheckTests", dependencies: ["raftcheck", "RaftCheckFiles", "RaftSim", "RaftSpecModel", "RaftCore"]),
    ]
)
