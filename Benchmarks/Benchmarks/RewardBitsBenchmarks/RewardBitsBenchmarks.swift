import Benchmark
import RewardBits

// Throughput of the canonical workloads (one thread, so the figure is per
// core) and of the random generators. Every benchmark does one fixed amount
// of work per iteration (named in the benchmark), so throughput in
// iterations/s times that amount is the rate. Each workload is scaled so that one
// iteration takes about half a second with the AVX-512 kernels; the scale is
// part of the benchmark name so baselines never mix sizes.
//
// Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
//   swift package --allow-writing-to-package-directory benchmark baseline update current
//   swift package benchmark baseline check current        (p90 thresholds below)

/// Scale of each canonical workload for a ~0.5 s iteration.
let scales: [String: Double] = [
    "single": 1.0, "group": 0.2, "group-zipf": 0.03, "token": 0.075, "sft": 0.17,
]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 10,
        thresholds: [
            .wallClock: .init(relative: [.p90: 10.0]),
            .throughput: .init(relative: [.p90: 10.0]),
        ]
    )

    for workload in Workload.canonical {
        let scale = scales[workload.name] ?? 0.1
        Benchmark("workload-\(workload.name)-scale-\(scale)-1-thread") { benchmark in
            for _ in benchmark.scaledIterations {
                let result = try workload.run(scale: scale, settings: RunSettings(seed: 1, threads: 1))
                blackHole(result.estimate.value)
            }
        }
    }

    // The generators fill a 4 KiB buffer again and again (in cache: the
    // figure is the generator's, not the memory system's).
    Benchmark("rng-philox-simd-64M-words") { benchmark in
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        let kernels = InstructionSet.active.kernels
        for _ in benchmark.scaledIterations {
            for block in 0..<UInt64(1 << 16) {
                kernels.fillPhilox(buffer, count: 1024, stream: StreamKey(seed: 1, block: block))
            }
            blackHole(buffer[1023])
        }
    }

    Benchmark("rng-gsl-mt19937-4M-words") { benchmark in
        let type = GSLGeneratorType.named("mt19937")!
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: 1024)
        defer { buffer.deallocate() }
        for _ in benchmark.scaledIterations {
            var stream = GSLStream(type: type, key: StreamKey(seed: 1, block: 0))
            for _ in 0..<(1 << 12) { stream.fill(buffer, count: 1024) }
            blackHole(buffer[1023])
        }
    }
}
