import Foundation
import Testing
import RewardBitsTestSupport
import RewardBitsCore

/// The vectorised psi the group kernel uses per prompt, against a reference
/// computed in 80-bit extended precision (x86-64) or against the scalar psi.
@Suite("vector psi and log")
struct InformationVectorTests {
    /// The masses tried: edges, uniform on (0, 1), log-uniform down to
    /// 1e-300, and 1 - 2^-j up to the last double below 1.
    static func masses() -> [Double] {
        var values: [Double] = [0, -0.0, 1, -1, 2, .nan, .infinity, -.infinity, 0.5, 0.5.nextDown, 0.5.nextUp,
                                1.0.nextDown, Double.leastNonzeroMagnitude, Double.leastNormalMagnitude,
                                Double.ulpOfOne, Double.ulpOfOne / 2, Double.ulpOfOne / 4, 1e-17, 1e-8, 0.25, 0.75]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        for _ in 0..<200_000 { values.append(uniform()) }
        for _ in 0..<100_000 { values.append(exp(-uniform() * 690)) }
        for j in 1...53 { values.append(1 - Double(sign: .plus, exponent: -j, significand: 1)) }
        while values.count % 8 != 0 { values.append(0.3) }
        return values
    }

    static func vectorPsi(_ values: [Double]) -> [Double] {
        var out: [Double] = []
        for start in stride(from: 0, to: values.count, by: 8) {
            let v = Information.psi(SIMD8(values[start..<start + 8]))
            for lane in 0..<8 { out.append(v[lane]) }
        }
        return out
    }

    /// |a - b| in units of the last place of b rounded to a double.
    static func ulps(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / b.ulp
    }

    #if arch(x86_64)
    /// The same against an unrounded 80-bit reference.
    static func ulps(_ a: Double, _ b: Float80) -> Double {
        Double(abs(Float80(a) - b)) / Double(b).ulp
    }
    #endif

    @Test("psi on eight lanes: the scalar conventions outside (0, 1), within 8 ulps inside")
    func psiAccuracy() {
        let masses = Self.masses()
        let vector = Self.vectorPsi(masses)
        var worst = 0.0
        for (mass, value) in zip(masses, vector) {
            guard mass > 0, mass < 1 else {
                #expect(value == 0, "psi(\(mass)) = \(value), expected 0")
                continue
            }
            #expect(value.isFinite && value >= 0)
            #if arch(x86_64)
            let m = Float80(mass)
            let reference = -(1 - m) * log1p(-m) / Foundation.log(Float80(2))
            #else
            let reference = Information.psi(mass)
            #endif
            worst = max(worst, Self.ulps(value, reference))
        }
        // The documented bound: fdlibm's log (< 1 ulp), Goldberg's ratio and
        // the final products add a few roundings.
        #expect(worst <= 8, "worst error \(worst) ulps")
    }

    @Test("natural log on eight lanes within 1 ulp of the 80-bit log")
    func logAccuracy() {
        var inputs: [Double] = [1, 2, 0.5, 1.4142135623730951, 1.4142135623730951.nextUp, Double.leastNormalMagnitude,
                                Double.greatestFiniteMagnitude, 1.0.nextDown, 1.0.nextUp, 3, 10, 1e-300, 1e300]
        var state: UInt64 = 12345
        for _ in 0..<100_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            inputs.append(exp((Double(state >> 11) * 0x1p-53 - 0.5) * 1400))
        }
        while inputs.count % 8 != 0 { inputs.append(1) }
        var worst = 0.0
        for start in stride(from: 0, to: inputs.count, by: 8) {
            let v = Information.naturalLog(SIMD8(inputs[start..<start + 8]))
            for lane in 0..<8 {
                let x = inputs[start + lane]
                #if arch(x86_64)
                let reference = Foundation.log(Float80(x))
                #else
                let reference = Foundation.log(x)
                #endif
                if reference == 0 { #expect(v[lane] == 0); continue }
                worst = max(worst, Self.ulps(v[lane], reference))
            }
        }
        #expect(worst <= 1, "worst error \(worst) ulps")
    }
}
