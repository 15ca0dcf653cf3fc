// swift-tools-version: 6.1
import PackageDescription

// Throughput benchmarks (ordo-one/package-benchmark), kept in their own
// package so `swift test` in the root does not build them.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
let package = Package(
    name: "RewardBitsBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "RewardBits", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RewardBitsBenchmarks",
            dependencies: [
                .product(name: "RewardBits", package: "RewardBits"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RewardBitsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
