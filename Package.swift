// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RaftCheck",
    products: [
        .library(name: "RaftCore", targets: ["RaftCore"]),
        .executable(name: "five-nodes", targets: ["FiveNodes"]),
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
        .executableTarget(name: "FiveNodes", dependencies: ["RaftCore"]),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore"]),
        .testTarget(name: "CXXHashTests", dependencies: ["CXXHash"]),
    ]
)
