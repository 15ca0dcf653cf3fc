// swift-tools-version: 6.1
import PackageDescription

// The hot loops (Sources/RewardBitsKernels) are compiled three times: portable,
// for x86-64-v3 (AVX2) and for x86-64-v4 (AVX-512). The two wide copies are
// folders of symbolic links to the same files (scripts/link-kernels keeps them
// in step); the engine picks the widest copy the CPU supports at run time.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"]), .define("REWARDBITS_WIDE_SIMD"), .define("REWARDBITS_AVX2"),
]
let avx512Settings: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v4"]), .define("REWARDBITS_WIDE_SIMD"), .define("REWARDBITS_AVX512"),
]
#else
let avx2Settings: [SwiftSetting] = []
let avx512Settings: [SwiftSetting] = []
#endif

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
        // Streams, samplers, statistics and the kernel protocols.
        .target(name: "RewardBitsCore", dependencies: ["CGSL"]),
        // The sampling kernels, once per instruction set.
        .target(name: "RewardBitsKernels", dependencies: ["RewardBitsCore"]),
        .target(name: "RewardBitsKernelsAVX2", dependencies: ["RewardBitsCore"], swiftSettings: avx2Settings),
        .target(name: "RewardBitsKernelsAVX512", dependencies: ["RewardBitsCore"], swiftSettings: avx512Settings),
        // Channels, engine, reports: the library users import.
        .target(
            name: "RewardBits",
            dependencies: ["RewardBitsCore", "RewardBitsKernels", "RewardBitsKernelsAVX2", "RewardBitsKernelsAVX512"]
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
