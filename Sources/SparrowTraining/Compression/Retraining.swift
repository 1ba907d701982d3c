import SparrowCompression
import SparrowModel

/// Pruning with retraining (Han et al., NIPS 2015; Deep Compression §2): masks are derived from
/// weight magnitudes with `Pruner`, then training continues with pruned weights held at zero.
public enum Retraining {
    /// Options of one prune-and-retrain run. `sparsity` maps weight names to their final sparsity
    /// (fraction pruned); weights not listed stay dense.
    public struct Plan: Sendable, Equatable {
        public var sparsity: [String: Double]
        public var schedule: PruningSchedule
        /// Total retraining epochs (spread over the rounds of the iterative schedule).
        public var epochs: Int
        /// Rounds of the iterative schedule.
        public var rounds: Int
        /// Gradual schedule: prunings per epoch (Δt = steps per epoch / this), and the fraction of
        /// the epochs over which sparsity ramps up (the rest retrains at the final mask).
        public var gradualPruningsPerEpoch: Int
        public var gradualRampFraction: Double

        public init(sparsity: [String: Double], schedule: PruningSchedule = .oneshot, epochs: Int = 5, rounds: Int = 3,
                    gradualPruningsPerEpoch: Int = 10, gradualRampFraction: Double = 0.6) {
            self.sparsity = sparsity
            self.schedule = schedule
            self.epochs = epochs
            self.rounds = rounds
            self.gradualPruningsPerEpoch = gradualPruningsPerEpoch
            self.gradualRampFraction = gradualRampFraction
        }

        func validate(_ trainer: Trainer) throws {
            for (name, s) in sparsity {
                guard trainer.network.parameters.contains(where: { $0.name == name }) else {
                    throw TrainingError.invalidOption("no trainable weight named \(name) to prune")
                }
                guard s >= 0, s < 1 else { throw TrainingError.invalidOption("sparsity of \(name) must be in [0, 1), got \(s)") }
            }
            guard epochs >= 0, rounds >= 1, gradualPruningsPerEpoch >= 1, gradualRampFraction > 0, gradualRampFraction <= 1 else {
                throw TrainingError.invalidOption("retraining epochs ≥ 0, rounds ≥ 1, ramp fraction in (0, 1]")
            }
        }
    }

    /// Prunes every listed weight to `fraction` of its final sparsity (by magnitude) and fixes
    /// the masks. Already-pruned weights are zero, hence the smallest, so masks only grow.
    public static func prune(_ trainer: Trainer, sparsity: [String: Double], scale: Double = 1) throws {
        for (name, s) in sparsity.sorted(by: { $0.key < $1.key }) {
            guard let p = trainer.network.parameters.first(where: { $0.name == name }),
                  let w = trainer.network.value(of: name) else { continue }
            let pruned = Pruner.prune(w, shape: p.shape, rule: .sparsity(min(max(s * scale, 0), 0.999_999)))
            try trainer.setMask(pruned.mask(), for: name)
        }
    }

    /// Runs the plan: pruning per its schedule, retraining with masks. Returns each epoch's report.
    @discardableResult
    public static func run(_ trainer: Trainer, plan: Plan, data: LabeledData, span: Trainer.Span = Trainer.Span(stage: "retrain"),
                           monitor: TrainingMonitor = .silent) throws -> [TrainingProgress] {
        try plan.validate(trainer)
        let width = span.end - span.start
        switch plan.schedule {
        case .oneshot:
            try prune(trainer, sparsity: plan.sparsity)
            return try trainer.fit(data, epochs: plan.epochs, span: span, monitor: monitor)
        case .iterative:
            var reports: [TrainingProgress] = []
            let rounds = min(plan.rounds, max(plan.epochs, 1))
            var epochsLeft = plan.epochs
            for r in 1...rounds {
                let sparsity = plan.sparsity.mapValues {
                    PruningSchedule.iterativeSparsity(final: $0, round: r, rounds: rounds)
                }
                try prune(trainer, sparsity: sparsity)
                let e = epochsLeft / (rounds - r + 1)
                epochsLeft -= e
                let sub = Trainer.Span(stage: "\(span.stage) prune \(r)/\(rounds)",
                                       start: span.start + width * Double(r - 1) / Double(rounds),
                                       end: span.start + width * Double(r) / Double(rounds))
                reports += try trainer.fit(data, epochs: e, span: sub, monitor: monitor)
            }
            return reports
        case .gradual:
            let stepsPerEpoch = (data.count + trainer.options.batchSize - 1) / trainer.options.batchSize
            let interval = max(1, stepsPerEpoch / plan.gradualPruningsPerEpoch)
            let rampSteps = max(1, Int(Double(plan.epochs * stepsPerEpoch) * plan.gradualRampFraction))
            let prunings = max(1, rampSteps / interval)
            let t0 = trainer.step
            let names = plan.sparsity
            var finished = false
            let reports = try trainer.fit(data, epochs: plan.epochs, span: span, monitor: monitor) { t in
                guard !finished, (t - t0) % interval == 0 else { return }
                let scale = PruningSchedule.gradualSparsity(initial: 0, final: 1, step: t, start: t0,
                                                            pruningSteps: prunings, interval: interval)
                try prune(trainer, sparsity: names, scale: scale)
                if t - t0 >= prunings * interval { finished = true }
            }
            // With no epochs (or a short ramp) make sure the final sparsity is reached.
            if !finished { try prune(trainer, sparsity: names) }
            return reports
        }
    }
}
