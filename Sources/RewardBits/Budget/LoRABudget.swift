/// The shape of a decoder-only transformer, as far as LoRA cares: the seven
/// linear maps of each layer (q, k, v, o, gate, up, down).
public struct ModelShape: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var hidden: Int
    public var intermediate: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int

    public init(name: String, layers: Int, hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, headDim: Int) {
        self.name = name
        self.layers = layers
        self.hidden = hidden
        self.intermediate = intermediate
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
    }

    /// Published configurations (Hugging Face config.json of each model).
    public static let presets: [ModelShape] = [
        ModelShape(name: "llama-3.1-8b", layers: 32, hidden: 4096, intermediate: 14336, heads: 32, kvHeads: 8, headDim: 128),
        ModelShape(name: "qwen2.5-7b", layers: 28, hidden: 3584, intermediate: 18944, heads: 28, kvHeads: 4, headDim: 128),
        ModelShape(name: "llama-3.2-1b", layers: 16, hidden: 2048, intermediate: 8192, heads: 32, kvHeads: 8, headDim: 64),
    ]

    /// The seven adapted linear maps of a layer, in `linearShapes` order.
    public static let linearMapNames = ["q", "k", "v", "o", "gate", "up", "down"]

    /// The (input, output) sizes of the seven adapted linear maps of a layer.
    public var linearShapes: [(name: String, input: Int, output: Int)] {
        let query = heads * headDim, keyValue = kvHeads * headDim
        return [("q", hidden, query), ("k", hidden, keyValue), ("v", hidden, keyValue), ("o", query, hidden),
                ("gate", hidden, intermediate), ("up", hidden, intermediate), ("down", intermediate, hidden)]
    }

    /// LoRA parameters of rank r on every linear map: r (in + out) per map;
    /// nil when a size is below 1 or the count does not fit in 64 bits.
    public func checkedLoRAParameters(rank: Int) -> UInt64? {
        let sizes = [layers, hidden, intermediate, heads, kvHeads, headDim, rank]
        guard sizes.allSatisfy({ $0 >= 1 }) else { return nil }
        func product(_ a: UInt64, _ b: UInt64) -> UInt64? {
            let (value, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? nil : value
        }
        guard let query = product(UInt64(heads), UInt64(headDim)),
              let keyValue = product(UInt64(kvHeads), UInt64(headDim)) else { return nil }
        // Sum of in + out over the seven maps, each term below 2^64.
        let terms = [UInt64(hidden), query, UInt64(hidden), keyValue, UInt64(hidden), keyValue, query, UInt64(hidden),
                     UInt64(hidden), UInt64(intermediate), UInt64(hidden), UInt64(intermediate),
                     UInt64(intermediate), UInt64(hidden)]
        var perLayer: UInt64 = 0
        for term in terms {
            let (sum, overflow) = perLayer.addingReportingOverflow(term)
            guard !overflow else { return nil }
            perLayer = sum
        }
        guard let perRank = product(UInt64(layers), perLayer) else { return nil }
        return product(perRank, UInt64(rank))
    }

    /// LoRA parameters of rank r on every linear map: r (in + out) per map.
    /// The shape and rank must have passed `checkedLoRAParameters`.
    public func loraParameters(rank: Int) -> UInt64 {
        checkedLoRAParameters(rank: rank)!
    }
}

/// The information budget of an RL run against LoRA capacity.
public struct LoRABudget: Sendable {
    public var model: ModelShape
    public var rank: Int
    public var problems: UInt64
    public var samples: UInt64
    /// Bits per rollout: given, or an estimate with its interval.
    public var bitsPerRollout: Estimate
    public var bitsPerRolloutSource: String
    /// Storage capacity assumed per parameter (bits).
    public var capacityBitsPerParameter: Double

    /// The default capacity, ~2 bits of knowledge per parameter: Allen-Zhu and
    /// Li, "Physics of Language Models: Part 3.3, Knowledge Capacity Scaling
    /// Laws" (2024).
    public static let defaultCapacityBitsPerParameter = 2.0
    public static let capacityCitation = "Allen-Zhu & Li 2024, Physics of Language Models Part 3.3: ~2 bits/parameter of stored knowledge, measured in pre-training, not in RL"

    public init(model: ModelShape, rank: Int, problems: UInt64, samples: UInt64, bitsPerRollout: Estimate,
                bitsPerRolloutSource: String, capacityBitsPerParameter: Double = defaultCapacityBitsPerParameter) throws {
        guard rank >= 1 else { throw RewardBitsError.invalidInput("\(Parameter.rank) must be at least 1 (got \(rank))") }
        guard problems >= 1, samples >= 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.problems) and \(Parameter.samples) must be at least 1")
        }
        guard capacityBitsPerParameter.isFinite, capacityBitsPerParameter > 0 else {
            throw RewardBitsError.invalidInput("\(Parameter.capacity) must be a positive number of bits per parameter")
        }
        let shape: [(Parameter, Int)] = [(.layers, model.layers), (.hidden, model.hidden), (.intermediate, model.intermediate),
                                         (.heads, model.heads), (.kvHeads, model.kvHeads), (.headDim, model.headDim)]
        for (parameter, value) in shape {
            guard value >= 1 else { throw RewardBitsError.invalidInput("\(parameter) must be at least 1 (got \(value))") }
        }
        guard model.checkedLoRAParameters(rank: rank) != nil else {
            throw RewardBitsError.invalidInput(
                "\(model.name) with \(Parameter.rank) \(rank) gives more than 2^64 LoRA parameters; check the shape options and use a realistic rank (e.g. \(Parameter.rank) 8)")
        }
        self.model = model
        self.rank = rank
        self.problems = problems
        self.samples = samples
        self.bitsPerRollout = bitsPerRollout
        self.bitsPerRolloutSource = bitsPerRolloutSource
        self.capacityBitsPerParameter = capacityBitsPerParameter
    }

    public var rollouts: Double { Double(problems) * Double(samples) }
    public var totalBits: Double { rollouts * bitsPerRollout.value }
    public var totalBitsInterval: (Double, Double) { (rollouts * bitsPerRollout.low, rollouts * bitsPerRollout.high) }
    public var loraParameters: UInt64 { model.loraParameters(rank: rank) }
    public var parametersPerBit: Double { Double(loraParameters) / totalBits }
    public var capacityBits: Double { Double(loraParameters) * capacityBitsPerParameter }
    public var signalOverCapacity: Double { totalBits / capacityBits }

    public var json: JSONValue {
        let (low, high) = totalBitsInterval
        return .object([
            ("model", .object([
                ("name", .string(model.name)), ("layers", .integer(Int64(model.layers))),
                ("hidden", .integer(Int64(model.hidden))), ("intermediate", .integer(Int64(model.intermediate))),
                ("heads", .integer(Int64(model.heads))), ("kv_heads", .integer(Int64(model.kvHeads))),
                ("head_dim", .integer(Int64(model.headDim))),
            ])),
            ("rank", .integer(Int64(rank))),
            ("lora_targets", .array(ModelShape.linearMapNames.map { .string($0) })),
            ("lora_parameters", .unsigned(loraParameters)),
            ("problems", .unsigned(problems)), ("samples", .unsigned(samples)),
            ("bits_per_rollout", .number(bitsPerRollout.value)),
            ("bits_per_rollout_ci", .object([("level", .number(bitsPerRollout.level)), ("low", .number(bitsPerRollout.low)),
                                             ("high", .number(bitsPerRollout.high))])),
            ("bits_per_rollout_source", .string(bitsPerRolloutSource)),
            ("total_bits", .number(totalBits)),
            ("total_bits_ci", .object([("low", .number(low)), ("high", .number(high))])),
            ("parameters_per_bit", .number(parametersPerBit)),
            ("capacity_bits_per_parameter", .number(capacityBitsPerParameter)),
            ("capacity_bits", .number(capacityBits)),
            ("signal_over_capacity", .number(signalOverCapacity)),
            ("capacity_reference", .string(Self.capacityCitation)),
        ])
    }

    public var summary: String {
        func grouped(_ x: Double) -> String {
            guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
            if x < 0 { return "-" + grouped(-x) }
            if x >= 1e15 { return Format.compact(x) }
            let digits = String(Int64(x.rounded()))
            var out = ""
            for (i, c) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return String(out.reversed())
        }
        let (low, high) = totalBitsInterval
        var lines = [
            "LoRA budget: \(model.name), rank \(rank) on q, k, v, o, gate, up, down of \(model.layers) layers",
            "  LoRA parameters          \(grouped(Double(loraParameters)))",
            "  training signal          \(grouped(totalBits)) bits = \(grouped(Double(problems))) problems x \(grouped(Double(samples))) samples x \(String(format: "%.6g", bitsPerRollout.value)) bits per rollout (\(bitsPerRolloutSource))",
        ]
        if bitsPerRollout.high > bitsPerRollout.low {
            lines.append(String(format: "                           %g%% CI [%@, %@] bits", bitsPerRollout.level * 100, grouped(low), grouped(high)))
        }
        lines += [
            String(format: "  parameters per bit       %.4g", parametersPerBit),
            "  capacity at \(String(format: "%g", capacityBitsPerParameter)) bits/param \(grouped(capacityBits)) bits (\(Self.capacityCitation))",
            String(format: "  signal / capacity        %.4g", signalOverCapacity),
        ]
        return lines.joined(separator: "\n")
    }
}
