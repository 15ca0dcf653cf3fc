import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

@Suite("reproduce and budget")
struct ReproduceTests {
    static let figures = ["fig5_single_vs_V", "fig6_group_vs_K", "fig7_token_vs_T", "sft_filtered_vs_V",
                          "beyond_group_zipf_policies", "beyond_token_reward_modes", "beyond_gradient_vs_K",
                          "beyond_gradient_per_token_vs_T", "beyond_learner_curves", "beyond_reinforce_efficiency_vs_lr"]

    /// Figures of quantities no exact value is known for (a reinforce
    /// learner's efficiency): their rows are checked for completeness only.
    static let withoutExactValues: Set<String> = ["beyond_reinforce_efficiency_vs_lr"]

    /// Splits one CSV line (RFC 4180 quoting).
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = [], cell = "", quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" { quoted = false } else { cell.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(cell)
                cell = ""
            } else {
                cell.append(c)
            }
        }
        out.append(cell)
        return out
    }

    @Test("reproduce --quick writes every figure, CSV and script; the CSVs are right and informative")
    func quick() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rb-reproduce-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        let r = try CLI.run(["reproduce", "--quick", "--out", directory.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rendered = Gnuplot.executable != nil
        for name in Self.figures {
            var files = ["\(name).csv", "\(name).gp"]
            if rendered { files += ["\(name).png", "\(name).svg"] }
            for file in files {
                let path = directory.appendingPathComponent(file).path
                #expect(FileManager.default.fileExists(atPath: path), "missing \(file)")
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                #expect(size > 100, "\(file) is nearly empty")
            }
            let text = try String(contentsOf: directory.appendingPathComponent("\(name).csv"), encoding: .utf8)
            let lines = text.split(separator: "\n")
            let header = Self.fields(lines[0])
            for column in ["estimate", "stderr", "ci_low", "ci_high", "exact", "seed", "samples"] {
                #expect(header.contains(column), "\(name).csv lacks \(column)")
            }
            let index = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
            var relativeHalfWidths: [Double] = []
            for line in lines.dropFirst() {
                let row = Self.fields(line)
                #expect(row.count == header.count)
                let estimate = Double(row[index["estimate"]!]), se = Double(row[index["stderr"]!])
                let low = Double(row[index["ci_low"]!]), high = Double(row[index["ci_high"]!])
                #expect(estimate != nil && se != nil && low != nil && high != nil, "\(name): \(line)")
                guard let estimate, let se, let low, let high, let exact = Double(row[index["exact"]!]) else { continue }
                if row[index["interval_method"]!] == "unseen-classes" {
                    #expect(low - 1e-12 <= exact && exact <= high + 1e-12, "\(name): \(line)")
                } else {
                    // Exact values found as differences of entropies (the
                    // gradient channel's enumeration) carry ~1e-11 of rounding.
                    #expect(abs(estimate - exact) <= max(5 * se, 1e-10 * max(1, abs(exact))), "\(name): \(line)")
                }
                relativeHalfWidths.append((high - low) / 2 / abs(exact))
            }
            let sorted = relativeHalfWidths.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            #expect(!sorted.isEmpty || Self.withoutExactValues.contains(name), "\(name) has no row with an exact value")
            #expect(median <= 0.05, "\(name): median CI half-width is \(median * 100)% of the exact value")
        }
        let index = try String(contentsOf: directory.appendingPathComponent("index.md"), encoding: .utf8)
        for name in Self.figures { #expect(index.contains(name)) }
    }

    @Test("reproduce refuses an unwritable folder and a bad format")
    func reproduceErrors() throws {
        let r = try CLI.run(["reproduce", "--quick", "--out", "/proc/rewardbits-cannot-write-here"])
        #expect(r.status == 73, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let f = try CLI.run(["reproduce", "--quick", "--format", "gif"])
        #expect(f.status == 64)
    }

    @Test("LoRA parameters: Llama-3.1-8B rank 1 has 2,621,440; the seed's MATH example is 320,000 bits")
    func budget() throws {
        let llama = try #require(ModelShape.presets.first { $0.name == "llama-3.1-8b" })
        #expect(llama.loraParameters(rank: 1) == 2_621_440)
        #expect(llama.loraParameters(rank: 16) == 16 * 2_621_440)
        // Qwen2.5-7B: per layer r (2*3584*2 + 2*(3584+512) + 3*(3584+18944)) = 90112 r, 28 layers.
        let qwen = try #require(ModelShape.presets.first { $0.name == "qwen2.5-7b" })
        #expect(qwen.loraParameters(rank: 1) == 28 * 90_112)
        let one = Estimate(value: 1, standardError: 0, low: 1, high: 1, level: 0.95, method: .zeroVariance, samples: 0)
        let math = try LoRABudget(model: llama, rank: 1, problems: 10_000, samples: 32, bitsPerRollout: one,
                                  bitsPerRolloutSource: "given")
        #expect(math.totalBits == 320_000)
        #expect(abs(math.parametersPerBit - 2_621_440.0 / 320_000) < 1e-12)

        let r = try CLI.run(["budget", "--model", "llama-3.1-8b", "--rank", "1", "--problems", "10000", "--samples", "32",
                             "--bits-per-rollout", "1", "--json"])
        #expect(r.status == 0)
        #expect(r.json["lora_parameters"] as? Int == 2_621_440)
        #expect(r.json["total_bits"] as? Double == 320_000)
        let measured = try CLI.run(["budget", "--model", "llama-3.2-1b", "--problems", "100", "--samples", "8",
                                    "--measure", "group", "--vocab", "64", "--group", "8", "--prompts", "1e4", "--json"])
        #expect(measured.status == 0, "\(measured.stderr)")
        let exact = try #require(GroupChannel(vocabularySize: 64, groupSize: 8, prompts: 2).exactValue())
        let perRollout = try #require(measured.json["bits_per_rollout"] as? Double)
        #expect(abs(perRollout - exact / 8) < 0.01 * exact)
        let custom = try CLI.run(["budget", "--model", "custom", "--layers", "2", "--hidden", "8", "--intermediate", "16",
                                  "--heads", "2", "--rank", "1", "--json"])
        // Per layer: q 8+8, k 8+8, v 8+8, o 8+8, gate 8+16, up 8+16, down 16+8 = 136.
        #expect(custom.json["lora_parameters"] as? Int == 272)
        for bad in [["--model", "gpt-9"], ["--rank", "0"], ["--model", "custom"], ["--bits-per-rollout", "-1"],
                    ["--measure", "group", "--vocab", "1"], ["--problems", "0"]] {
            let b = try CLI.run(["budget"] + bad)
            #expect(b.status == 64, "\(bad): \(b.stderr)")
            #expect(b.stderr.split(separator: "\n").count == 1)
        }
    }
}
