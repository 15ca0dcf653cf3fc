// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RewardBits",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RewardBits", targets: ["RewardBits"]),
        .executable(name: "rewardbits", targets: ["RewardBitsCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C interop with GSL lives here and only here.
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),
        .target(
            name: "RewardBits",
            dependencies: ["CGSL"]
        ),
        .executableTarget(
            name: "RewardBitsCLI",
            dependencies: [
                "RewardBits",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RewardBitsTests",
            dependencies: ["RewardBits", "RewardBitsCLI"]
        ),
    ]
)
