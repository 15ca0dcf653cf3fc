/// What a channel's run produced, before it is dressed up as a ChannelResult.
struct Measurement {
    var estimate: Estimate
    var samples: UInt64
    var rollouts: UInt64
    var seconds: Double
    var cpuSeconds: Double
    var stoppedEarly: Bool
    var histogram: SurpriseHistogram?

    init<S>(_ outcome: RunOutcome<S>, estimate: Estimate, histogram: SurpriseHistogram? = nil) {
        self.estimate = estimate
        samples = outcome.samples
        rollouts = outcome.rollouts
        seconds = outcome.seconds
        cpuSeconds = outcome.cpuSeconds
        stoppedEarly = outcome.stoppedEarly
        self.histogram = histogram
    }
}

extension Moments {
    /// The histogram of the values added, if it was collected.
    var histogram: SurpriseHistogram? {
        bins.map { .bins(width: $0.width, rows: $0.rows.map { (low: $0.0, high: $0.1, count: $0.2) }) }
    }
}

extension StratifiedMoments {
    /// The histogram of the values added, if it was collected.
    var histogram: SurpriseHistogram? {
        bins.map { .bins(width: $0.width, rows: $0.rows.map { (low: $0.0, high: $0.1, count: $0.2) }) }
    }
}
