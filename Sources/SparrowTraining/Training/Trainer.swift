import FoundationEssentials
import SparrowModel

/// Weight sharing of one parameter (Deep Compression §3): each weight is a centroid, or zero.
public struct SharedWeights: Sendable, Equatable {
    public var centroids: [Float]
    /// Per weight, its centroid index, or -1 for a pruned (zero) weight.
    public var assignments: [Int32]

    public init(centroids: [Float], assignments: [Int32]) {
        self.centroids = centroids
        self.assignments = assignments
    }

    public var weights: [Float] { assignments.map { $0 < 0 ? 0 : centroids[Int($0)] } }
}

/// Mini-batch training of a `TrainableNetwork`, with optional pruning masks (masked retraining)
/// and weight sharing (centroid fine-tuning).
public final class Trainer {
    public let network: TrainableNetwork
    public var options: TrainingOptions
    /// Pruning masks by parameter name: 1 keeps a weight, 0 holds it at exactly zero.
    public private(set) var masks: [String: [Float]] = [:]
    /// Parameters trained as shared centroids instead of free weights.
    public private(set) var sharing: [String: SharedWeights] = [:]
    /// The learning rate of the next step (decays per epoch).
    public var learningRate: Float
    /// Mini-batch steps taken so far (across `fit` calls).
    public private(set) var step = 0
    private var states: [OptimizerState]
    private var centroidStates: [String: OptimizerState] = [:]
    private var generator: SeededGenerator

    public init(network: TrainableNetwork, options: TrainingOptions) throws {
        try options.validate()
        self.network = network
        self.options = options
        learningRate = options.learningRate
        generator = SeededGenerator(seed: options.seed)
        states = network.parameters.map { OptimizerState(rule: options.optimizer, count: $0.count) }
    }

    /// Resets the momentum / Adam moments (e.g. between DSD phases) and sets a new learning rate.
    public func restart(learningRate: Float, optimizer: Optimizer? = nil) {
        if let optimizer { options.optimizer = optimizer }
        self.learningRate = learningRate
        states = network.parameters.map { OptimizerState(rule: options.optimizer, count: $0.count) }
        centroidStates = [:]
    }

    /// Names of the weight matrices and kernels (rank ≥ 2): what pruning and sharing apply to.
    public var weightNames: [String] { network.parameters.filter { $0.shape.count >= 2 }.map(\.name) }

    /// Fixes the pruning mask of a parameter (true = keep) and zeroes its pruned weights now.
    public func setMask(_ keep: [Bool], for name: String) throws {
        guard let index = network.parameters.firstIndex(where: { $0.name == name }) else {
            throw TrainingError.invalidOption("no trainable parameter named \(name)")
        }
        guard keep.count == network.parameters[index].count else {
            throw TrainingError.invalidOption("mask of \(keep.count) for \(name) with \(network.parameters[index].count) weights")
        }
        let mask = keep.map { $0 ? Float(1) : 0 }
        masks[name] = mask
        var w = network.value(of: name) ?? []
        for i in 0..<w.count where mask[i] == 0 { w[i] = 0 }
        try network.setValue(w, of: name)
        states[index].clear(where: mask)
    }

    public func removeMasks() { masks = [:] }

    /// Trains `name` as shared centroids from now on (its weights become the centroid values).
    public func share(_ name: String, _ shared: SharedWeights) throws {
        guard let p = network.parameters.first(where: { $0.name == name }) else {
            throw TrainingError.invalidOption("no trainable parameter named \(name)")
        }
        guard shared.assignments.count == p.count,
              shared.assignments.allSatisfy({ $0 < Int32(shared.centroids.count) }) else {
            throw TrainingError.invalidOption("weight sharing of \(name) does not match its \(p.count) weights")
        }
        sharing[name] = shared
        centroidStates[name] = OptimizerState(rule: options.optimizer, count: shared.centroids.count)
        try network.setValue(shared.weights, of: name)
    }

    public func removeSharing() { sharing = [:]; centroidStates = [:] }

    /// Fraction of exactly-zero values over the weight matrices and kernels.
    public func sparsity() -> Double {
        var zeros = 0, total = 0
        for name in weightNames {
            guard let w = network.value(of: name) else { continue }
            total += w.count
            for v in w where v == 0 { zeros += 1 }
        }
        return total == 0 ? 0 : Double(zeros) / Double(total)
    }

    /// One optimisation step on one mini-batch; returns its loss and correct count.
    @discardableResult
    public func step(batch: [Float], labels: [Int]) throws -> (loss: Float, correct: Int) {
        let (loss, correct, grads) = try network.gradients(batch: batch, labels: labels, generator: &generator)
        guard loss.isFinite else {
            throw TrainingError.invalidOption("the loss diverged (\(loss)) at step \(step); lower the learning rate")
        }
        for (i, p) in network.parameters.enumerated() {
            let s = network.parameterSlots[i]
            guard var v = network.values[s] else { continue }
            network.values[s] = nil
            if let shared = sharing[p.name], var state = centroidStates[p.name] {
                // Deep Compression §3.3: a centroid's gradient is the sum of its weights' gradients.
                var g = [Float](repeating: 0, count: shared.centroids.count)
                for (j, a) in shared.assignments.enumerated() where a >= 0 { g[Int(a)] += grads[i][j] }
                var updated = shared
                state.update(&updated.centroids, gradient: g, learningRate: learningRate, mask: nil, applyDecay: false)
                centroidStates[p.name] = state
                sharing[p.name] = updated
                v.data = updated.weights
            } else {
                states[i].update(&v.data, gradient: grads[i], learningRate: learningRate, mask: masks[p.name])
            }
            network.values[s] = v
        }
        step += 1
        return (loss, correct)
    }

    /// The part of a whole job one `fit` call covers, for progress fractions.
    public struct Span: Sendable {
        public var stage: String
        public var start: Double
        public var end: Double
        public init(stage: String, start: Double = 0, end: Double = 1) {
            self.stage = stage
            self.start = start
            self.end = end
        }
    }

    /// Trains for `epochs` epochs over shuffled mini-batches. `beforeStep` runs before each step
    /// with the global step index (gradual pruning updates the masks there).
    @discardableResult
    public func fit(_ data: LabeledData, epochs: Int? = nil, span: Span = Span(stage: "train"),
                    monitor: TrainingMonitor = .silent,
                    beforeStep: ((Int) throws -> Void)? = nil) throws -> [TrainingProgress] {
        let epochs = epochs ?? options.epochs
        guard epochs >= 0 else { throw TrainingError.invalidOption("epochs must be ≥ 0") }
        guard epochs > 0 else { return [] }
        let data = try data.conformed(to: network.sampleShape)
        guard data.count > 0 else { throw TrainingError.invalidDataset("the training set is empty") }
        Matrix.threadCount = options.threads
        let started = Date()
        // A batch larger than the data set is the whole set (and cannot overflow the count below).
        let batchSize = min(options.batchSize, data.count)
        let batches = (data.count + batchSize - 1) / batchSize
        var reports: [TrainingProgress] = []
        for epoch in 1...max(epochs, 1) where epochs > 0 {
            let order = generator.permutation(data.count)
            var lossSum: Double = 0, correct = 0
            for b in 0..<batches {
                if monitor.shouldCancel() { throw TrainingError.cancelled }
                try beforeStep?(step)
                let lo = b * batchSize, hi = min(data.count, lo + batchSize)
                let (x, y) = data.batch(order[lo..<hi])
                let r = try step(batch: x, labels: y)
                lossSum += Double(r.loss) * Double(y.count)
                correct += r.correct
            }
            let elapsed = Date().timeIntervalSince(started)
            let done = Double(epoch) / Double(epochs)
            let report = TrainingProgress(
                stage: span.stage, fraction: span.start + (span.end - span.start) * done, epoch: epoch, epochs: epochs,
                loss: Float(lossSum / Double(data.count)), accuracy: Double(correct) / Double(data.count),
                sparsity: sparsity(), samplesPerSecond: Double(epoch * data.count) / max(elapsed, 1e-9),
                elapsedSeconds: elapsed, etaSeconds: elapsed / done * (1 - done))
            reports.append(report)
            monitor.progress(report)
            learningRate *= options.learningRateDecay
        }
        return reports
    }

    /// Mean loss and top-1 accuracy in inference mode.
    public func evaluate(_ data: LabeledData, batchSize: Int = 500) throws -> Evaluation {
        try Evaluation.measure(network, on: data, batchSize: batchSize)
    }
}

/// Loss and top-1 accuracy of a network on a labelled set (inference mode).
public struct Evaluation: Sendable, Equatable {
    public var loss: Float
    public var accuracy: Double
    public var count: Int
    public var error: Double { 1 - accuracy }

    public static func measure(_ network: TrainableNetwork, on data: LabeledData, batchSize: Int = 500) throws -> Evaluation {
        let data = try data.conformed(to: network.sampleShape)
        guard data.count > 0 else { throw TrainingError.invalidDataset("the evaluation set is empty") }
        var lossSum: Double = 0, correct = 0
        var lo = 0
        while lo < data.count {
            let hi = lo + min(data.count - lo, max(1, batchSize))
            let (x, y) = data.batch(Array(lo..<hi)[...])
            let (logits, classes) = try network.logits(batch: x, count: y.count)
            let r = try SoftmaxCrossEntropy.evaluate(logits: logits, rows: y.count, classes: classes, labels: y)
            lossSum += Double(r.loss) * Double(y.count)
            correct += r.correct
            lo = hi
        }
        return Evaluation(loss: Float(lossSum / Double(data.count)), accuracy: Double(correct) / Double(data.count),
                          count: data.count)
    }
}
