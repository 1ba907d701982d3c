/// DSD training (Han et al., ICLR 2017): train dense; prune and retrain sparse; then restore the
/// pruned connections at zero and retrain everything at one tenth of the learning rate.
public enum DenseSparseDense {
    public struct Plan: Sendable, Equatable {
        /// Final sparsity of every weight matrix and kernel in the sparse phase (the paper uses 0.3–0.5).
        public var sparsity: Double
        public var denseEpochs: Int
        public var sparseEpochs: Int
        public var redenseEpochs: Int
        /// Learning-rate factor of the re-dense phase.
        public var redenseLearningRateFactor: Float

        public init(sparsity: Double = 0.5, denseEpochs: Int = 2, sparseEpochs: Int = 2, redenseEpochs: Int = 2,
                    redenseLearningRateFactor: Float = 0.1) {
            self.sparsity = sparsity
            self.denseEpochs = denseEpochs
            self.sparseEpochs = sparseEpochs
            self.redenseEpochs = redenseEpochs
            self.redenseLearningRateFactor = redenseLearningRateFactor
        }
    }

    @discardableResult
    public static func run(_ trainer: Trainer, plan: Plan, data: LabeledData,
                           monitor: TrainingMonitor = .silent) throws -> [TrainingProgress] {
        guard plan.sparsity >= 0, plan.sparsity < 1 else {
            throw TrainingError.invalidOption("DSD sparsity must be in [0, 1), got \(plan.sparsity)")
        }
        let total = Double(max(1, plan.denseEpochs + plan.sparseEpochs + plan.redenseEpochs))
        let a = Double(plan.denseEpochs) / total, b = a + Double(plan.sparseEpochs) / total
        let baseRate = trainer.learningRate
        var reports = try trainer.fit(data, epochs: plan.denseEpochs, span: .init(stage: "dsd dense", start: 0, end: a),
                                      monitor: monitor)
        let sparsity = Dictionary(uniqueKeysWithValues: trainer.weightNames.map { ($0, plan.sparsity) })
        reports += try Retraining.run(trainer, plan: .init(sparsity: sparsity, schedule: .oneshot, epochs: plan.sparseEpochs),
                                      data: data, span: .init(stage: "dsd sparse", start: a, end: b), monitor: monitor)
        // Re-dense: the pruned weights restart from zero (they are zero now) and may grow again.
        trainer.removeMasks()
        trainer.restart(learningRate: baseRate * plan.redenseLearningRateFactor)
        reports += try trainer.fit(data, epochs: plan.redenseEpochs, span: .init(stage: "dsd re-dense", start: b, end: 1),
                                   monitor: monitor)
        return reports
    }
}
