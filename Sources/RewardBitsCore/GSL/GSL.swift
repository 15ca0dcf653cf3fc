import CGSL
import Foundation

/// The statistics and special functions RewardBits takes from GSL.
///
/// GSL's default error handler aborts the process. `GSL.prepare()` switches it
/// off once per process; every wrapper here then checks the result and turns a
/// GSL failure into a `RewardBitsError.numerical` with a readable message.
public enum GSL {
    private static let handlerOff: Void = {
        _ = gsl_set_error_handler_off()
    }()

    /// Switches GSL's aborting error handler off (idempotent, thread-safe).
    public static func prepare() {
        _ = handlerOff
    }

    /// The quantile of Student's t distribution with `degreesOfFreedom`,
    /// i.e. t such that P(T <= t) = `probability`.
    ///
    /// For more than 1e7 degrees of freedom the normal quantile is returned:
    /// the two differ by less than 1e-7 relative there, and GSL's t inverse is
    /// slow to converge for huge arguments.
    public static func studentTQuantile(_ probability: Double, degreesOfFreedom: Double) throws -> Double {
        prepare()
        guard probability > 0, probability < 1, degreesOfFreedom >= 1 else {
            throw RewardBitsError.numerical(
                "Student-t quantile needs 0 < p < 1 and at least one degree of freedom (got p = \(probability), df = \(degreesOfFreedom))")
        }
        if degreesOfFreedom > 1e7 { return try normalQuantile(probability) }
        let value = gsl_cdf_tdist_Pinv(probability, degreesOfFreedom)
        guard value.isFinite else {
            throw RewardBitsError.numerical("GSL gsl_cdf_tdist_Pinv(\(probability), \(degreesOfFreedom)) failed")
        }
        return value
    }

    /// The standard normal quantile Phi^-1(`probability`).
    /// The quantile of the gamma distribution with this shape and scale
    /// (GSL's `gsl_cdf_gamma_Pinv`).
    public static func gammaQuantile(_ probability: Double, shape: Double, scale: Double) throws -> Double {
        prepare()
        guard probability > 0, probability < 1, shape > 0, scale > 0, shape.isFinite, scale.isFinite else {
            throw RewardBitsError.numerical(
                "gamma quantile needs 0 < p < 1 and a positive shape and scale (got p = \(probability), shape = \(shape), scale = \(scale))")
        }
        // GSL's inverse can fail to converge for shapes in the thousands and
        // beyond, where Wilson and Hilferty's cube-root normal form is
        // accurate to about 1e-6 of the quantile (1e-9 past 1e4).
        func wilsonHilferty() throws -> Double {
            let z = try normalQuantile(probability)
            let c = 1 / (9 * shape)
            return shape * scale * pow(max(0, 1 - c + z * c.squareRoot()), 3)
        }
        if shape > 1e4 { return try wilsonHilferty() }
        let value = gsl_cdf_gamma_Pinv(probability, shape, scale)
        if !value.isFinite && shape > 100 { return try wilsonHilferty() }
        guard value.isFinite else {
            throw RewardBitsError.numerical("GSL gsl_cdf_gamma_Pinv(\(probability), \(shape), \(scale)) failed")
        }
        return value
    }

    public static func normalQuantile(_ probability: Double) throws -> Double {
        prepare()
        guard probability > 0, probability < 1 else {
            throw RewardBitsError.numerical("normal quantile needs 0 < p < 1 (got \(probability))")
        }
        let value = gsl_cdf_ugaussian_Pinv(probability)
        guard value.isFinite else {
            throw RewardBitsError.numerical("GSL gsl_cdf_ugaussian_Pinv(\(probability)) failed")
        }
        return value
    }

    /// The standard normal distribution function Phi(`x`).
    public static func normalCDF(_ x: Double) -> Double {
        prepare()
        return gsl_cdf_ugaussian_P(x)
    }

    /// The regularised incomplete beta function I_x(a, b) = P(X <= x) for
    /// X ~ Beta(a, b), or nil where GSL cannot evaluate it (it fails when both
    /// a and b are in the millions).
    public static func betaCDF(_ x: Double, a: Double, b: Double) -> Double? {
        prepare()
        let value = gsl_cdf_beta_P(x, a, b)
        return value.isFinite ? value : nil
    }

    /// 1 - I_x(a, b) = P(X > x) for X ~ Beta(a, b), computed without
    /// cancellation; nil where GSL cannot evaluate it.
    public static func betaUpperCDF(_ x: Double, a: Double, b: Double) -> Double? {
        prepare()
        let value = gsl_cdf_beta_Q(x, a, b)
        return value.isFinite ? value : nil
    }

    /// ln C(n, k), the log of the binomial coefficient, for 0 <= k <= n.
    public static func logChoose(_ n: Int, _ k: Int) throws -> Double {
        prepare()
        guard n >= 0, k >= 0, k <= n else {
            throw RewardBitsError.numerical("ln C(n, k) needs 0 <= k <= n (got n = \(n), k = \(k))")
        }
        var result = gsl_sf_result()
        let status = gsl_sf_lnchoose_e(UInt32(clamping: n), UInt32(clamping: k), &result)
        guard status == GSL_SUCCESS, result.val.isFinite else {
            throw RewardBitsError.numerical("GSL gsl_sf_lnchoose(\(n), \(k)) failed: \(String(cString: gsl_strerror(status)))")
        }
        return result.val
    }

    /// ln Gamma(x) for x > 0.
    public static func logGamma(_ x: Double) throws -> Double {
        prepare()
        var result = gsl_sf_result()
        let status = gsl_sf_lngamma_e(x, &result)
        guard status == GSL_SUCCESS, result.val.isFinite else {
            throw RewardBitsError.numerical("GSL gsl_sf_lngamma(\(x)) failed: \(String(cString: gsl_strerror(status)))")
        }
        return result.val
    }
}
