import Foundation

/// The rare events of a Rao-Blackwellised estimator.
///
/// A pointwise estimator has rare events of its own (a hit T = S); `rb`
/// averages them over S, so its rare events are the samples that land where
/// the hits would be likely: a value near the top of its possible range,
/// drawn rarely when the policy seldom visits the answers the prior favours
/// (a Zipf prior under a uniform policy at V = 2^20). The split is fixed by
/// the model, never by the data: values at or above 1/64 of the way from the
/// lowest possible value to the highest are the rare stratum.
enum RareValues {
    static let fraction = 1.0 / 64

    /// The threshold for values in `range`, and the two strata's ranges.
    static func split(_ range: ClosedRange<Double>) -> (threshold: Double, rare: ClosedRange<Double>, common: ClosedRange<Double>) {
        let threshold = range.lowerBound + (range.upperBound - range.lowerBound) * fraction
        return (threshold, threshold...range.upperBound, range.lowerBound...threshold)
    }

    /// What the rare events are, for the notes.
    static func description(_ threshold: Double, unit: String) -> String {
        "\(unit) worth at least \(String(format: "%.3g", threshold)) bits (1/64 of the most one can carry)"
    }
}
