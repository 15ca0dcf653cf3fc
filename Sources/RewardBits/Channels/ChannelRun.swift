import Foundation

/// What every channel does to run a kernel: apply the settings' stop rule,
/// checkpoint and interrupt, with the channel's own estimator deciding when
/// the interval is narrow enough.
struct ChannelRun {
    let channel: String
    let parameters: [(String, JSONValue)]
    let settings: RunSettings

    /// Everything that must match for a checkpoint to be resumed.
    var identity: [(String, String)] { identity(parameters: parameters, stopRule: true) }

    /// What decides a run's blocks (not the stop rule or the interval level):
    /// a shard's blocks and a merge's run must agree on it.
    var blockIdentity: [(String, String)] {
        identity(parameters: Array(parameters.dropLast(Self.runParameters(settings).count)), stopRule: false)
    }

    private func identity(parameters: [(String, JSONValue)], stopRule: Bool) -> [(String, String)] {
        var pairs: [(String, String)] = [
            ("channel", channel),
            ("params", JSONValue.object(parameters).serialized()),
            ("seed", String(settings.seed)),
            ("rng", settings.generator.description),
        ]
        if stopRule, let stopping = settings.stopping {
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
        let plan = BlockPlan(totalSamples: totalSamples, blockSize: blockSize)
        if let partial = settings.partialRun {
            switch partial.role {
            case .compute(let shard):
                try computeShard(shard, of: partial, kernel: kernel, plan: plan, control: control)
            case .replay:
                return try replay(partial, kernel: kernel, plan: plan, control: control, monitor: monitor,
                                  unitsPerSample: unitsPerSample, unitName: unitName)
            }
        }
        var outcome = try Engine.run(kernel, plan: plan,
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

    /// A shard: runs its blocks (after those an earlier attempt saved),
    /// keeps one record per block, and throws `ShardComputed`.
    private func computeShard<Statistics: SufficientStatistics>(
        _ shard: ShardSelection, of partial: PartialRun, kernel: any BlockKernel<Statistics>, plan: BlockPlan,
        control: RunControl<Statistics>
    ) throws -> Never {
        guard settings.stopping == nil else {
            throw RewardBitsError.invalidInput(
                "--shard runs a fixed share of the blocks: leave \(Parameter.targetHalfWidth) out and give it to the merge (rewardbits merge --target-halfwidth H PARTS...)")
        }
        let blocks = shard.blocks(of: plan.blockCount)
        let done = partial.beginSegment(BlockSegment(identity: blockIdentity, totalSamples: plan.totalSamples,
                                                     blockSize: plan.blockSize, blocks: blocks))
        var control = control
        control.stopRule = nil
        control.checkpoint = nil
        control.blockRange = (blocks.lowerBound + UInt64(done.count))..<blocks.upperBound
        control.blockMerged = { _, samples, result in
            var writer = BinaryWriter()
            result.statistics.encode(into: &writer)
            try partial.append(BlockRecord(samples: samples, rollouts: result.rollouts, payload: writer.bytes))
        }
        if !control.blockRange!.isEmpty {
            do {
                _ = try Engine.run(kernel, plan: plan, settings: settings, control: control)
            } catch let error as RewardBitsError {
                guard case .interrupted = error else { throw error }
                try partial.saveNow()
                let done = partial.segments.last?.records.count ?? 0
                let saved = partial.save == nil ? ""
                    : "; its blocks are saved to \(settings.checkpointPath ?? "its checkpoint"), rerun the same command to resume"
                throw RewardBitsError.interrupted("shard \(shard) interrupted after \(done) of its \(blocks.count) blocks\(saved)")
            }
        }
        throw ShardComputed(blocks: blocks, totalBlocks: plan.blockCount)
    }

    /// A merge: folds the stored blocks (block 0 onwards) in block order
    /// through the same engine, stop rule included, as one process would.
    private func replay<Statistics: SufficientStatistics>(
        _ partial: PartialRun, kernel: any BlockKernel<Statistics>, plan: BlockPlan, control: RunControl<Statistics>,
        monitor: @escaping @Sendable (Statistics) throws -> Estimate, unitsPerSample: Double, unitName: String
    ) throws -> RunOutcome<Statistics> {
        let stored = try partial.takeSegment(for: BlockSegment(identity: blockIdentity, totalSamples: plan.totalSamples,
                                                              blockSize: plan.blockSize, blocks: 0..<plan.blockCount))
        guard stored.blocks.lowerBound == 0 else {
            throw RewardBitsError.corruptCheckpoint("the parts do not start at block 0")
        }
        var results: [BlockResult<Statistics>] = []
        results.reserveCapacity(stored.records.count)
        for (k, record) in stored.records.enumerated() {
            let block = UInt64(k)
            guard record.samples == UInt64(plan.samples(inBlock: block)) else {
                throw RewardBitsError.corruptCheckpoint(
                    "block \(block) of the parts holds \(record.samples) samples, the run's block \(block) has \(plan.samples(inBlock: block))")
            }
            var reader = BinaryReader(record.payload)
            guard let statistics = try? Statistics(from: &reader), reader.isAtEnd else {
                throw RewardBitsError.corruptCheckpoint("block \(block) of the parts does not decode as this channel's statistics")
            }
            results.append(BlockResult(statistics: statistics, rollouts: record.rollouts))
        }
        let covered = UInt64(results.count)
        let blocks = results
        var control = control
        control.checkpoint = nil
        control.blockRange = 0..<covered
        control.storedBlock = { blocks[Int($0)] }
        var outcome = try Engine.run(kernel, plan: plan, settings: settings, control: control,
                                     unitsPerSample: unitsPerSample, unitName: unitName)
        let ruleHolds = control.stopRule.map { $0(outcome.statistics, outcome.samples) }
        outcome.targetReached = ruleHolds
        outcome.stoppedEarly = outcome.blocks < plan.blockCount && ruleHolds == true
        var report = ReplayReport(coveredBlocks: covered, totalBlocks: plan.blockCount,
                                  targetHalfWidth: settings.stopping?.targetHalfWidth, targetReached: ruleHolds)
        if let stopping = settings.stopping, ruleHolds == false, outcome.samples > 0 {
            let halfWidth = (try? monitor(outcome.statistics))?.halfWidth
            report.halfWidth = halfWidth
            if covered < plan.blockCount {
                // The half-width falls as 1/sqrt(n); at least one more block,
                // at least the minimum sample count, at most the cap.
                let ratio = (halfWidth ?? .infinity) / stopping.targetHalfWidth
                let wanted = max(Double(outcome.samples) * ratio * ratio, Double(stopping.minimumSamples))
                let wantedBlocks = wanted.isFinite ? UInt64(min((wanted / Double(plan.blockSize)).rounded(.up), 1e18)) : plan.blockCount
                report.moreBlocks = min(max(wantedBlocks, covered + 1), plan.blockCount) - covered
            }
        }
        partial.report(report)
        return outcome
    }
}
