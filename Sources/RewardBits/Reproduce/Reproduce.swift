import Foundation

/// `rewardbits reproduce`: the post's Figures 5, 6 and 7, an SFT-filtering
/// figure and two figures beyond the post, each as PNG/SVG/PDF with the CSV
/// of every plotted point (estimate, CI, standard error, exact value, seed,
/// sample counts) and the gnuplot script that draws it.
public enum Reproduce {
    public struct Options: Sendable {
        public var directory: URL
        public var formats: [FigureFormat]
        public var quick: Bool
        public var seed: UInt64
        public var threads: Int
        public var log: (@Sendable (String) -> Void)?

        public init(directory: URL, formats: [FigureFormat] = [.png, .svg], quick: Bool = false, seed: UInt64 = 1,
                    threads: Int = Engine.defaultThreads, log: (@Sendable (String) -> Void)? = nil) {
            self.directory = directory
            self.formats = formats
            self.quick = quick
            self.seed = seed
            self.threads = threads
            self.log = log
        }
    }

    public struct Report: Sendable {
        public var figures: [FigureData]
        /// Files written, relative to the output folder.
        public var files: [String]
        /// Set when gnuplot was not available: only CSVs and scripts were written.
        public var note: String?
    }

    /// Per-point settings: the seed is derived from the run's seed and the
    /// point's identity, so points have independent streams and each row's
    /// seed reproduces it with `rewardbits estimate`.
    static func settings(_ options: Options, point: String, stopping: SequentialStopping? = nil) -> RunSettings {
        RunSettings(seed: SplitMix64.mix(options.seed ^ stableHash(point)), threads: options.threads,
                    confidence: 0.95, stopping: stopping)
    }

    public static func run(_ options: Options) throws -> Report {
        do {
            try FileManager.default.createDirectory(at: options.directory, withIntermediateDirectories: true)
        } catch {
            throw RewardBitsError.cannotWrite("\(Parameter.outputFolder) \(options.directory.path): cannot create the folder (\(error.localizedDescription))")
        }
        guard FileManager.default.isWritableFile(atPath: options.directory.path) else {
            throw RewardBitsError.cannotWrite("\(Parameter.outputFolder) \(options.directory.path): the folder is not writable")
        }
        let builders: [(String, (Options) throws -> FigureData)] = [
            ("Fig. 5", singleVersusVocabulary), ("Fig. 6", groupVersusK), ("Fig. 7", tokenVersusLength),
            ("SFT", sftVersusVocabulary), ("Zipf policies", groupUnderZipfPolicies), ("token rewards", tokenRewardModes),
            ("gradient vs K", gradientVersusK), ("per-token gradient", gradientPerTokenVersusLength),
            ("learner curves", learnerCurves), ("reinforce efficiency", reinforceEfficiency),
        ]
        var figures: [FigureData] = []
        for (label, build) in builders {
            let start = Date()
            let figure = try build(options)
            figures.append(figure)
            options.log?(String(format: "%@: %d points in %.1f s", label, figure.points.count, Date().timeIntervalSince(start)))
        }
        var files: [String] = []
        for figure in figures {
            try writeAtomically(figure.csv, to: options.directory.appendingPathComponent("\(figure.name).csv"))
            try writeAtomically(Gnuplot.script(for: figure, formats: options.formats),
                                to: options.directory.appendingPathComponent("\(figure.name).gp"))
            files += ["\(figure.name).csv", "\(figure.name).gp"]
        }
        var note: String?
        if let gnuplot = Gnuplot.executable {
            for figure in figures {
                try Gnuplot.render(script: "\(figure.name).gp", in: options.directory, gnuplot: gnuplot)
                files += options.formats.map { "\(figure.name).\($0.rawValue)" }
            }
        } else {
            note = "gnuplot not found: wrote the CSVs and gnuplot scripts only (install gnuplot-nox, then run gnuplot NAME.gp in \(options.directory.path))"
        }
        try writeAtomically(index(figures, formats: note == nil ? options.formats : []),
                            to: options.directory.appendingPathComponent("index.md"))
        files.append("index.md")
        return Report(figures: figures, files: files, note: note)
    }

    static func index(_ figures: [FigureData], formats: [FigureFormat]) -> String {
        var lines = ["# RewardBits figures", "",
                     "Figures 5 to 7 and the SFT figure follow J. Hernandez, \"Simple Information-Theoretic Bounds for RL vs. SFT in Verifiable Tasks\" (2025); the figures named beyond_* go beyond the post. Each point's random seed is in its CSV row.",
                     ""]
        for figure in figures {
            let images = formats.map { "`\(figure.name).\($0.rawValue)`" }.joined(separator: ", ")
            lines.append("- \(images.isEmpty ? "" : images + ", ")`\(figure.name).csv`: \(figure.summary)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func powers(_ range: ClosedRange<Int>) -> [Int] { range.map { 1 << $0 } }

    // MARK: - The figures

    /// Fig. 5: I(S; T, r) for one rollout against V, with h(1/V) and the 1-bit bound.
    static func singleVersusVocabulary(_ options: Options) throws -> FigureData {
        let relative = options.quick ? 0.04 : 0.02
        let cap: UInt64 = options.quick ? 20_000_000 : 400_000_000
        var points: [FigurePoint] = []
        for v in powers(1...20) {
            let channel = try SingleChannel(vocabularySize: UInt64(v), estimator: .pointwise, rollouts: cap)
            let stopping = try SequentialStopping(targetHalfWidth: relative * channel.exactValue())
            let result = try channel.run(settings: settings(options, point: "fig5/\(v)", stopping: stopping))
            points.append(FigurePoint(series: "one binary reward", x: Double(v), result: result, boundName: "one_bit", bound: 1))
        }
        var figure = FigureData(
            name: "fig5_single_vs_V", title: "Fig. 5: one binary reward carries at most 1 bit",
            summary: "Fig. 5: information of one binary reward vs vocabulary size V (MC, pointwise, 95% CI) against the exact h(1/V) and the 1-bit bound.",
            xLabel: "vocabulary size V", yLabel: "I(S; T, r)  [bits]", logX: true, logY: true, points: points)
        figure.xColumn = "vocab"
        figure.exactSeries = ["one binary reward"]
        figure.keyPosition = "bottom left"
        figure.lines = [("1-bit bound", powers(1...20).map { (Double($0), 1.0) })]
        return figure
    }

    /// Fig. 6: a group of K rollouts for V = 64, 1024 and 65536: E[I], E[log2(M+1)], log2(K+1).
    static func groupVersusK(_ options: Options) throws -> FigureData {
        let prompts: UInt64 = options.quick ? 50_000 : 500_000
        var points: [FigurePoint] = []
        // V = 64: duplicates among the K rollouts bend E[log2(M+1)] away from log2(K+1).
        for v in [64, 1024, 65536] {
            for k in powers(0...8) {
                let channel = try GroupChannel(vocabularySize: UInt64(v), groupSize: k, prompts: prompts)
                let result = try channel.run(settings: settings(options, point: "fig6/\(v)/\(k)"))
                let bound = log2(Double(k) + 1)
                points.append(FigurePoint(series: "E[I], V = \(v)", x: Double(k), result: result,
                                          boundName: "log2_K_plus_1", bound: bound))
                points.append(FigurePoint(series: "E[log_2(M+1)], V = \(v)", x: Double(k), result: result,
                                          boundEstimate: "mean_log2_M_plus_1"))
            }
        }
        var figure = FigureData(
            name: "fig6_group_vs_K", title: "Fig. 6: a group of K rollouts carries far less than log_2(K+1) bits",
            summary: "Fig. 6: information of a group of K rollouts (GRPO/RLOO) vs K for V = 64, 1024 and 65536: MC (rb) with 95% CI, exact E[I] by the occupancy recursion, E[log2(M+1)] (MC and exact), and log2(K+1).",
            xLabel: "rollouts per prompt K", yLabel: "bits per prompt", logX: true, logY: true, points: points)
        figure.xColumn = "group"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "bottom right"
        figure.lines = [("log_2(K+1) bound", powers(0...8).map { (Double($0), log2(Double($0) + 1)) })]
        return figure
    }

    /// Fig. 7: per-token rewards over T tokens, with noisy verifiers.
    static func tokenVersusLength(_ options: Options) throws -> FigureData {
        let episodes: UInt64 = options.quick ? 20_000 : 200_000
        var points: [FigurePoint] = []
        for eps in [0.0, 0.01, 0.1, 0.25] {
            for t in powers(0...10) {
                let channel = try TokenChannel(length: t, episodes: episodes, noise: eps)
                let result = try channel.run(settings: settings(options, point: "fig7/\(eps)/\(t)"))
                points.append(FigurePoint(series: "eps = \(eps)", x: Double(t), result: result, boundName: "T_bits",
                                          bound: Double(t)))
            }
        }
        var figure = FigureData(
            name: "fig7_token_vs_T", title: "Fig. 7: per-token rewards carry up to T bits",
            summary: "Fig. 7: information of per-token rewards vs episode length T (p = 1/2) for verifier noise eps = 0, 0.01, 0.1, 0.25: MC with 95% CI and the exact T [1 - h(eps)].",
            xLabel: "tokens per episode T", yLabel: "I(S; x, R)  [bits]", logX: true, logY: true, points: points)
        figure.xColumn = "length"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "top left"
        return figure
    }

    /// SFT: bits per sampled rollout when positives are filtered from rollouts,
    /// against an expert positive's log2(1/alpha) and one binary reward's h(alpha).
    static func sftVersusVocabulary(_ options: Options) throws -> FigureData {
        let positives: UInt64 = options.quick ? 4_000 : 20_000
        var points: [FigurePoint] = []
        for v in powers(1...16) {
            let filtered = try SFTChannel(vocabularySize: UInt64(v), positives: positives, mode: .filtered)
            let f = try filtered.run(settings: settings(options, point: "sft/filtered/\(v)"))
            points.append(FigurePoint(series: "filtered positive, bits per sampled rollout", x: Double(v), result: f,
                                      boundName: "h_alpha", bound: Information.binaryEntropy(1 / Double(v))))
            let expert = try SFTChannel(vocabularySize: UInt64(v), positives: positives, mode: .expert, alpha: 1 / Double(v))
            let e = try expert.run(settings: settings(options, point: "sft/expert/\(v)"))
            points.append(FigurePoint(series: "expert positive, bits per positive", x: Double(v), result: e,
                                      boundName: "log2_1_over_alpha", bound: log2(Double(v))))
        }
        var figure = FigureData(
            name: "sft_filtered_vs_V", title: "SFT: an expert positive carries log_2(1/{/Symbol a}) bits; a filtered one O(1) per rollout",
            summary: "SFT: bits carried by an expert positive (log2(1/alpha), alpha = 1/V) and by a positive found by filtering rollouts, per sampled rollout (H(q)/E[L] = log2(V)/V), with 95% CI, against one binary reward's h(alpha).",
            xLabel: "vocabulary size V = 1/alpha", yLabel: "bits", logX: true, logY: true, points: points)
        figure.xColumn = "vocab"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "bottom left"
        figure.lines = [("h({/Symbol a}): one binary reward", powers(1...16).map { (Double($0), Information.binaryEntropy(1 / Double($0))) })]
        return figure
    }

    /// Beyond the post: a group under Zipf policies of increasing concentration
    /// (uniform prior): duplicates cost bits.
    static func groupUnderZipfPolicies(_ options: Options) throws -> FigureData {
        let prompts: UInt64 = options.quick ? 20_000 : 200_000
        var points: [FigurePoint] = []
        for s in [0.0, 0.5, 1.0, 1.5, 2.0] {
            let policy: DistributionSpec = s == 0 ? .uniform : .zipf(s)
            for k in powers(0...8) {
                let channel = try GroupChannel(vocabularySize: 1024, groupSize: k, prompts: prompts, policy: policy)
                let result = try channel.run(settings: settings(options, point: "zipf/\(s)/\(k)"))
                points.append(FigurePoint(series: s == 0 ? "uniform policy" : "Zipf policy, s = \(s)", x: Double(k), result: result,
                                          boundName: "log2_K_plus_1", bound: log2(Double(k) + 1)))
            }
        }
        var figure = FigureData(
            name: "beyond_group_zipf_policies", title: "Beyond the post: concentrated policies repeat answers, and repeats carry no bits",
            summary: "Beyond the post: group information vs K for V = 1024, uniform prior, and Zipf policies of increasing concentration (rb, 95% CI; exact for the uniform policy), against log2(K+1).",
            xLabel: "rollouts per prompt K", yLabel: "bits per prompt", logX: true, logY: true, points: points)
        figure.xColumn = "group"
        figure.exactSeries = ["uniform policy"]
        figure.keyPosition = "bottom right"
        figure.lines = [("log_2(K+1) bound", powers(0...8).map { (Double($0), log2(Double($0) + 1)) })]
        return figure
    }

    /// Beyond the post: T against bits for per-token, checkpoint:8, sum and graded:4 rewards (on a fixed grid and at the sum's quantiles).
    static func tokenRewardModes(_ options: Options) throws -> FigureData {
        let episodes: UInt64 = options.quick ? 20_000 : 200_000
        var points: [FigurePoint] = []
        for reward in [TokenReward.perToken, .checkpoint(8), .sum, .graded(4), .gradedQuantile(4)] {
            for t in powers(3...10) {
                let channel = try TokenChannel(length: t, episodes: episodes, reward: reward)
                let result = try channel.run(settings: settings(options, point: "rewards/\(reward)/\(t)"))
                points.append(FigurePoint(series: reward.description, x: Double(t), result: result,
                                          boundName: result.bounds[0].0, bound: result.bounds[0].1))
            }
        }
        var figure = FigureData(
            name: "beyond_token_reward_modes", title: "Beyond the post: how many bits each reward design delivers",
            summary: "Beyond the post: information vs T (p = 1/2, no noise) for per-token rewards (T bits), one reward per 8-token checkpoint (floor(T/8) h(2^-8) + h(2^-(T mod 8)); here 8 divides T), the summed reward (H(Binomial(T, 1/2)) ~ 0.5 log2(pi e T / 2): the order-blind sum is the limit, not the scalar, since sum 2^t R_t would carry T bits), and a 4-bit grade on a fixed grid over [0, T] (which loses information as T grows) and at the sum's quantiles (min(4, H(sum)) at most); MC with 95% CI and exact lines.",
            xLabel: "tokens per episode T", yLabel: "bits per episode", logX: true, logY: true, points: points)
        figure.xColumn = "length"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "top left"
        return figure
    }

    // MARK: - What the learner sees and keeps

    /// Beyond the post: I(S; g) / I(S; (T, r)) against K for each advantage,
    /// noiseless and with eps = 0.1 (V = 64, uniform prior and policy).
    static func gradientVersusK(_ options: Options) throws -> FigureData {
        let prompts: UInt64 = options.quick ? 2_000 : 20_000
        let rules: [(String, Advantage, Double)] = [
            ("reinforce, b = 0", .reinforce, 0), ("reinforce, b = 0.5", .reinforce, 0.5), ("rloo", .rloo, 0), ("grpo", .grpo, 0),
        ]
        var points: [FigurePoint] = []
        for eps in [0.0, 0.1] {
            for (label, advantage, baseline) in rules {
                for k in powers(1...4) {
                    let channel = try GradientChannel(vocabularySize: 64, groupSize: k, prompts: prompts, noise: eps,
                                                      advantage: advantage, baseline: baseline)
                    let result = try channel.run(settings: settings(options, point: "gradient/\(eps)/\(label)/\(k)"))
                    let share = result.namedEstimates.first { $0.name == "share_of_observation" }!
                    points.append(FigurePoint(series: "\(label), eps = \(eps)", x: Double(k), result: result,
                                              estimate: share.estimate, exact: share.exact,
                                              estimator: "I(S;g)/I(S;(T,r))", boundName: "all_of_it", bound: 1))
                }
            }
        }
        var figure = FigureData(
            name: "beyond_gradient_vs_K", title: "Beyond the post: the share of what the rollouts say that the update carries",
            summary: "Beyond the post: I(S; g) / I(S; (T, r)), the share of what K rollouts and their rewards say about S that the policy-gradient update itself carries, vs K (V = 64, uniform), for reinforce with b = 0 and 0.5, rloo and grpo, noiseless and eps = 0.1; MC (exact posteriors per prompt) with 95% CI and the exact value where known.",
            xLabel: "rollouts per prompt K", yLabel: "I(S; g) / I(S; (T, r))", logX: true, logY: false, points: points)
        figure.xColumn = "group"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "bottom right"
        figure.yRange = 0.2...1.05
        return figure
    }

    /// Beyond the post: per-token advantages over T-token rollouts (K = 4):
    /// I(S; g) grows as T, and I(g; T) beside it; a sequence-level grpo update
    /// over the same 2^T answers carries at most log2(K + 1).
    static func gradientPerTokenVersusLength(_ options: Options) throws -> FigureData {
        let prompts: UInt64 = options.quick ? 2_000 : 20_000
        let k = 4
        var points: [FigurePoint] = []
        for eps in [0.0, 0.1] {
            for t in powers(0...10) {
                let channel = try GradientChannel(groupSize: k, prompts: prompts, noise: eps, advantage: .perToken, length: t)
                let result = try channel.run(settings: settings(options, point: "pertoken/\(eps)/\(t)"))
                points.append(FigurePoint(series: "I(S; g), per-token, eps = \(eps)", x: Double(t), result: result,
                                          boundName: "T_bits", bound: Double(t)))
                let about = result.components.first { $0.name == "about_rollouts" }!
                points.append(FigurePoint(series: "I(g; T), per-token, eps = \(eps)", x: Double(t), result: result,
                                          estimate: about.estimate, exact: about.exact, estimator: "about_rollouts"))
            }
        }
        // Sequence level, noiseless, uniform over V = 2^T: the update names S
        // unless all K rewards are equal, z = (1 - 2^-T)^K + 2^-TK.
        // (Drawn down to 10^-3 bits: below, it would squash the axis.)
        let sequence = powers(0...10).map { t -> (Double, Double) in
            let v = pow(2.0, Double(t))
            let z = exp(Double(k) * log1p(-1 / v)) + pow(v, -Double(k))
            return (Double(t), (1 - z) * Double(t))
        }.filter { $0.1 >= 1e-3 }
        var figure = FigureData(
            name: "beyond_gradient_per_token_vs_T", title: "Beyond the post: O(T) bits in the update only with per-token rewards",
            summary: "Beyond the post: per-token advantages over rollouts of T binary tokens (K = 4, target bits p = 1/2): I(S; g) grows as T (T (1 - 2^-K) noiseless) while I(g; T), what the update says about the rollouts themselves, grows as well; a sequence-level grpo update over the same 2^T answers carries (1 - z) T <= log2(K + 1) bits (line). MC with 95% CI and exact values.",
            xLabel: "tokens per rollout T", yLabel: "bits per prompt", logX: true, logY: true, points: points)
        figure.xColumn = "length"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "bottom right"
        figure.lines = [("sequence-level grpo, eps = 0 (exact)", sequence)]
        return figure
    }

    /// Beyond the post: I(S; H_t) against t for every learner at V = 1024,
    /// K = 8, with the caps t log2(K + 1) and H(S).
    static func learnerCurves(_ options: Options) throws -> FigureData {
        let runs: UInt64 = options.quick ? 5_000 : 50_000
        let v = 1024, k = 8, steps = 64
        let learners: [(String, LearnerKind)] = [
            ("static (uniform policy)", .fixed), ("thompson", .thompson), ("tempered, beta = 0.5", .tempered(beta: 0.5)),
            ("elimination", .elimination), ("reinforce, rloo, lr = 1", .reinforce),
        ]
        var points: [FigurePoint] = []
        for (label, learner) in learners {
            let channel = try LearnerChannel(vocabularySize: UInt64(v), groupSize: k, steps: steps, runs: runs, learner: learner)
            let result = try channel.run(settings: settings(options, point: "learner/\(learner)"))
            for point in result.curve {
                points.append(FigurePoint(series: label, x: Double(point.step), result: result, estimate: point.estimate,
                                          exact: point.exact, estimator: "rb",
                                          boundName: "cap", bound: min(Double(point.step) * log2(Double(k) + 1), log2(Double(v)))))
            }
        }
        var figure = FigureData(
            name: "beyond_learner_curves", title: "Beyond the post: exploration sets the rate, and the caps bind",
            summary: "Beyond the post: I(S; H_t) after t steps of K = 8 rollouts at V = 1024 (uniform prior, noiseless) for a static uniform policy, Thompson sampling, a tempered posterior (beta = 0.5: the same law under a uniform prior), elimination and a reinforce learner (rloo, lr = 1), against the caps t log2(K + 1) and H(S) = 10 bits; MC (exact posterior per run) with 95% CI and exact curves where known.",
            xLabel: "step t", yLabel: "I(S; H_t)  [bits]", logX: false, logY: false, points: points)
        figure.xColumn = "step"
        figure.exactSeries = Set(figure.seriesNames)
        figure.keyPosition = "bottom right"
        figure.lines = [("t log_2(K+1)", (1...steps).map { (Double($0), min(Double($0) * log2(Double(k) + 1), 12)) }),
                        ("H(S) = log_2 V", [(1, log2(Double(v))), (Double(steps), log2(Double(v)))])]
        return figure
    }

    /// Beyond the post: how much of what it learned a reinforce learner keeps
    /// in its policy, kept / I(S; H_n), against its learning rate.
    static func reinforceEfficiency(_ options: Options) throws -> FigureData {
        let runs: UInt64 = options.quick ? 2_000 : 20_000
        let v = 1024, k = 8, steps = 32
        let rules: [(String, Advantage, Double)] = [("rloo", .rloo, 0), ("grpo", .grpo, 0), ("reinforce, b = 0.5", .reinforce, 0.5)]
        var points: [FigurePoint] = []
        for (label, advantage, baseline) in rules {
            for lr in [0.03, 0.1, 0.3, 1, 3, 10] {
                let channel = try LearnerChannel(vocabularySize: UInt64(v), groupSize: k, steps: steps, runs: runs,
                                                 learner: .reinforce, advantage: advantage, baseline: baseline, learningRate: lr)
                let result = try channel.run(settings: settings(options, point: "efficiency/\(label)/\(lr)"))
                let efficiency = result.namedEstimates.first { $0.name == "efficiency" }!
                points.append(FigurePoint(series: label, x: lr, result: result, estimate: efficiency.estimate,
                                          exact: efficiency.exact, estimator: "kept/I", boundName: "posterior", bound: 1))
            }
        }
        var figure = FigureData(
            name: "beyond_reinforce_efficiency_vs_lr", title: "Beyond the post: what a policy-gradient learner keeps of what it learned",
            summary: "Beyond the post: absorption efficiency kept / I(S; H_n) = E[log2 pi_n(S) / q(S)] / I(S; H_n) of a tabular softmax reinforce learner after n = 32 steps of K = 8 rollouts at V = 1024 (uniform prior, noiseless) vs learning rate, for rloo, grpo and a fixed baseline b = 0.5; 1 is the Bayes posterior (Thompson). MC with 95% CI (delta method).",
            xLabel: "learning rate eta", yLabel: "kept / I(S; H_n)", logX: true, logY: false, points: points)
        figure.xColumn = "lr"
        figure.keyPosition = "center left"
        figure.yRange = 0...1.1
        figure.lines = [("Bayes posterior (thompson)", [(0.03, 1), (10, 1)])]
        return figure
    }
}
