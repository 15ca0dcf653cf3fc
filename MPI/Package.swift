// swift-tools-version: 6.0
// rewardbits-mpi: runs one shard per MPI rank with the `rewardbits` binary
// and folds the ranks' blocks on rank 0. A package of its own, as
// Benchmarks/ is, so that building and testing RewardBits never needs MPI.
// Build: swift build -c release --package-path MPI (needs libopenmpi-dev).
import PackageDescription

let package = Package(
    name: "RewardBitsMPI",
    products: [
        .executable(name: "rewardbits-mpi", targets: ["RewardBitsMPI"]),
    ],
    targets: [
        // Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, ...) are macros Swift
        // cannot import: the shim returns them from inline functions.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .executableTarget(name: "RewardBitsMPI", dependencies: ["CMPI"]),
    ]
)
