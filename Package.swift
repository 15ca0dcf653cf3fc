// swift-tools-version: 6.1
import PackageDescription

// The hot loops (Sources/RewardBitsKernels) are compiled three times: portable,
// for x86-64-v3 (AVX2) and for x86-64-v4 (AVX-512). The two wide copies'
// folders are symbolic links to the portable one; the engine picks the
// widest copy the CPU supports at run time.
//
// LLVM's x86 "cmov converter" turns selects on random data (an alias draw's
// coin, "is this token new") back into branches, which then mispredict about
// half the time; the kernels keep them as conditional moves (measured: alias
// draws 2.2e8/s with the pass, 3.9e8/s without).
#if arch(x86_64)
let keepSelects = ["-Xllvm", "-x86-cmov-converter=false"]
let portableSettings: [SwiftSetting] = [.unsafeFlags(keepSelects)]
let avx2Settings: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"] + keepSelects), .define("REWARDBITS_WIDE_SIMD"), .define("REWARDBITS_AVX2"),
]
let avx512Settings: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v4"] + keepSelects), .define("REWARDBITS_WIDE_SIMD"), .define("REWARDBITS_AVX512"),
]
#else
let portableSettings: [SwiftSetting] = []
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
        // `swift package generate-documentation --target RewardBits` (DocC).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C interop with GSL lives here and only here.
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),
        // Bit instructions Swift does not expose (BMI2 pdep), as static
        // inline C compiled with each importing module's instruction set.
        .target(name: "CBitOps"),
        // Streams, samplers, statistics and the kernel protocols.
        .target(name: "RewardBitsCore", dependencies: ["CGSL", "CBitOps"]),
        // The sampling kernels, once per instruction set.
        .target(name: "RewardBitsKernels", dependencies: ["RewardBitsCore", "CBitOps"], swiftSettings: portableSettings),
        .target(name: "RewardBitsKernelsAVX2", dependencies: ["RewardBitsCore", "CBitOps"], swiftSettings: avx2Settings),
        .target(name: "RewardBitsKernelsAVX512", dependencies: ["RewardBitsCore", "CBitOps"], swiftSettings: avx512Settings),
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
        // Tests, one target per module under test, with shared helpers.
        .target(
            name: "RewardBitsTestSupport",
            dependencies: ["RewardBits"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "RewardBitsCoreTests", dependencies: ["RewardBitsCore", "RewardBitsTestSupport"]),
        .testTarget(name: "RewardBitsKernelsTests", dependencies: ["RewardBits", "RewardBitsTestSupport"]),
        .testTarget(name: "RewardBitsTests", dependencies: ["RewardBits", "RewardBitsTestSupport"]),
        .testTarget(
            name: "RewardBitsCLITests",
            // The tests run the built `rewardbits` binary.
            dependencies: ["RewardBits", "RewardBitsCLI", "RewardBitsTestSupport"]
        ),
    ]
)
