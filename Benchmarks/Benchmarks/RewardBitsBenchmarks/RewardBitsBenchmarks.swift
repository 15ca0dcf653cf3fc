import Benchmark
import RewardBits

let benchmarks: @Sendable () -> Void = {
    Benchmark("noop") { benchmark in
        blackHole(1)
    }
}
