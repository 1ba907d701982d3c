import FoundationEssentials
import Glibc

/// How pruning is interleaved with retraining.
public enum PruningSchedule: String, Sendable, Codable, Equatable, CaseIterable {
    /// Prune to the target once, then retrain with the mask fixed.
    case oneshot
    /// Han et al. 2015's iterative prune-and-retrain: `rounds` rounds, each pruning to a density
    /// d_f^(r/rounds) (geometric steps toward the final density d_f) and retraining.
    case iterative
    /// Zhu and Gupta 2017: prune every Δt steps from s_i = 0 to s_f along
    /// s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³, then retrain at the final mask.
    case gradual

    /// The sparsity of round `round` (1-based) of `rounds` in the iterative schedule.
    public static func iterativeSparsity(final s: Double, round: Int, rounds: Int) -> Double {
        guard rounds > 0 else { return s }
        let r = Double(min(max(round, 0), rounds)) / Double(rounds)
        return 1 - pow(1 - s, r)
    }

    /// Zhu and Gupta's cubic schedule at step t: s_i before t0, s_f after t0 + nΔt.
    public static func gradualSparsity(initial si: Double, final sf: Double, step t: Int, start t0: Int,
                                       pruningSteps n: Int, interval dt: Int) -> Double {
        let span = Double(max(1, n * dt))
        let progress = min(1, max(0, Double(t - t0) / span))
        return sf + (si - sf) * pow(1 - progress, 3)
    }
}
