/// What a channel's run produced, before it is dressed up as a ChannelResult.
struct Measurement {
    var estimate: Estimate
    var samples: UInt64
    var rollouts: UInt64
    var seconds: Double
    var cpuSeconds: Double
    var stoppedEarly: Bool
    var targetReached: Bool?
    var histogram: SurpriseHistogram?
    /// The largest sample's share of the squared distances from the mean
    /// (the heavy-tail diagnostic), where the statistics keep it.
    var largestShare: Double?

    init<S>(_ outcome: RunOutcome<S>, estimate: Estimate, histogram: SurpriseHistogram? = nil, largestShare: Double? = nil) {
        self.largestShare = largestShare
        self.estimate = estimate
        samples = outcome.samples
        rollouts = outcome.rollouts
        seconds = outcome.seconds
        cpuSeconds = outcome.cpuSeconds
        stoppedEarly = outcome.stoppedEarly
        targetReached = outcome.targetReached
        self.histogram = histogram
    }
}

extension ChannelResult {
    /// The result of a run measured by `measured`, whose throughput is counted
    /// in rollouts and which has no estimated bounds or histogram.
    init(channel: String, parameters: [(String, JSONValue)], estimator: EstimatorKind, measured: Measurement,
         exact: Double?, bounds: [(String, Double)], settings: RunSettings) {
        self.init(channel: channel, parameters: parameters, estimator: estimator.rawValue, estimate: measured.estimate,
                  exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [], rollouts: measured.rollouts,
                  warnings: [], seconds: measured.seconds, cpuSeconds: measured.cpuSeconds, throughputUnit: "rollouts",
                  throughputUnits: Double(measured.rollouts), settings: settings, stoppedEarly: measured.stoppedEarly,
                  histogram: measured.histogram, targetReached: measured.targetReached)
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
