import Foundation

/// What every channel does to run a kernel: apply the settings' stop rule,
/// checkpoint and interrupt, with the channel's own estimator deciding when
/// the interval is narrow enough.
struct ChannelRun {
    let channel: String
    let parameters: [(String, JSONValue)]
    let settings: RunSettings

    /// Everything that must match for a checkpoint to be resumed.
    var identity: [(String, String)] {
        var pairs: [(String, String)] = [
            ("channel", channel),
            ("params", JSONValue.object(parameters).serialized()),
            ("seed", String(settings.seed)),
            ("rng", settings.generator.description),
        ]
        if let stopping = settings.stopping {
            pairs.append(("confidence", "\(settings.confidence)"))
            pairs.append(("stopping", "\(stopping.targetHalfWidth),\(stopping.minimumSamples),\(stopping.minimumSuccesses)"))
        }
        if let width = settings.histogramBinWidth { pairs.append(("histogram", "\(width)")) }
        return pairs
    }

    /// Runs `kernel` over `totalSamples` samples (the cap, with a stop rule).
    ///
    /// `estimate` turns merged statistics into the estimate; `successes`
    /// counts the rare events of the interval rule: an interval that rests on
    /// their spread (any but `rare-events-conservative`, which assumes
    /// nothing about it) may stop only after `minimumSuccesses` of them.
    /// `monitor`, when given, is a
    /// cheaper estimate whose interval contains `estimate`'s, for the stop
    /// rule and the progress line, which run at every block boundary:
    /// stopping when its half-width is under the target guarantees that the
    /// reported one is too (Blaker's and the randomized count intervals lie
    /// inside Clopper-Pearson's).
    func execute<Statistics: SufficientStatistics>(
        _ kernel: any BlockKernel<Statistics>, totalSamples: UInt64, blockSize: UInt64,
        estimate: @escaping @Sendable (Statistics) throws -> Estimate,
        monitor: (@Sendable (Statistics) throws -> Estimate)? = nil,
        successes: (@Sendable (Statistics) -> UInt64)? = nil,
        unitsPerSample: Double = 1, unitName: String = "rollouts"
    ) throws -> RunOutcome<Statistics> {
        var control = RunControl<Statistics>()
        let monitor = monitor ?? estimate
        if let stopping = settings.stopping {
            control.stopRule = { statistics, samples in
                guard samples >= stopping.minimumSamples else { return false }
                guard let e = try? monitor(statistics), e.halfWidth <= stopping.targetHalfWidth else { return false }
                if let successes, e.method != .rareEventsConservative,
                   successes(statistics) < stopping.minimumSuccesses {
                    return false
                }
                return true
            }
        }
        // The plug-in's interval is a bootstrap over all its cells: too dear
        // for a progress line, so that line shows no half-width.
        if settings.showProgress && !(Statistics.self is PluginStatistics.Type) {
            control.halfWidth = { statistics, samples in samples >= 2 ? (try? monitor(statistics))?.halfWidth : nil }
        }
        if let path = settings.checkpointPath {
            control.checkpoint = CheckpointFile(path: path, identity: identity, interval: settings.checkpointInterval)
        }
        control.interrupt = settings.interrupt
        var outcome = try Engine.run(kernel, plan: BlockPlan(totalSamples: totalSamples, blockSize: blockSize),
                                     settings: settings, control: control, unitsPerSample: unitsPerSample, unitName: unitName)
        if let rule = control.stopRule { outcome.targetReached = outcome.stoppedEarly || rule(outcome.statistics, outcome.samples) }
        return outcome
    }

    /// Parameters of the run itself that belong in `params`.
    static func runParameters(_ settings: RunSettings) -> [(String, JSONValue)] {
        guard let stopping = settings.stopping else { return [] }
        return [("target_halfwidth", .number(stopping.targetHalfWidth)),
                ("min_samples", .unsigned(stopping.minimumSamples))]
    }
}
