/// Hyper-parameters of one training run.
public struct TrainingOptions: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Multiplies the learning rate after every epoch (1 = constant).
    public var learningRateDecay: Float
    public var optimizer: Optimizer
    /// Seeds the shuffling and dropout; equal seeds (and thread counts) give bit-identical runs.
    public var seed: UInt64
    /// OpenBLAS threads for the large matrix products.
    public var threads: Int

    public init(epochs: Int = 10, batchSize: Int = 64, learningRate: Float = 0.01, learningRateDecay: Float = 1,
                optimizer: Optimizer = .defaultSGD, seed: UInt64 = 0, threads: Int = 2) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.optimizer = optimizer
        self.seed = seed
        self.threads = threads
    }

    func validate() throws {
        guard epochs >= 0 else { throw TrainingError.invalidOption("epochs must be ≥ 0, got \(epochs)") }
        guard batchSize >= 1 else { throw TrainingError.invalidOption("batch size must be ≥ 1, got \(batchSize)") }
        guard learningRate.isFinite, learningRate >= 0 else {
            throw TrainingError.invalidOption("learning rate must be a finite number ≥ 0, got \(learningRate)")
        }
        guard learningRateDecay.isFinite, learningRateDecay > 0 else {
            throw TrainingError.invalidOption("learning-rate decay must be > 0, got \(learningRateDecay)")
        }
        guard threads >= 1 else { throw TrainingError.invalidOption("threads must be ≥ 1") }
    }
}

/// One line of training progress, as the CLI prints it and the service's job records it.
public struct TrainingProgress: Sendable, Equatable {
    /// "train", "retrain", "prune 3/5", "finetune-centroids", "dsd-dense"...
    public var stage: String
    /// Fraction of the whole job done, 0...1.
    public var fraction: Double
    public var epoch: Int
    public var epochs: Int
    public var loss: Float
    /// Training accuracy over the epoch's mini-batches.
    public var accuracy: Double
    /// Fraction of exactly-zero weights in the weight matrices and kernels.
    public var sparsity: Double
    public var samplesPerSecond: Double
    public var elapsedSeconds: Double
    public var etaSeconds: Double

    public var line: String {
        func pct(_ x: Double) -> String { String(cFormat: "%.2f%%", x * 100) }
        return "[\(stage)] epoch \(epoch)/\(epochs) loss \(String(cFormat: "%.4f", loss)) acc \(pct(accuracy)) "
            + "sparsity \(pct(sparsity)) \(String(cFormat: "%.0f", samplesPerSecond)) samples/s "
            + "ETA \(TrainingProgress.clock(etaSeconds))"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return String(cFormat: "%ld:%02ld", s / 60, s % 60)
    }
}

/// The caller's view into a long run: progress reports and a cancellation check, polled between
/// mini-batches.
public struct TrainingMonitor: Sendable {
    public var progress: @Sendable (TrainingProgress) -> Void
    public var shouldCancel: @Sendable () -> Bool

    public init(progress: @escaping @Sendable (TrainingProgress) -> Void = { _ in },
                shouldCancel: @escaping @Sendable () -> Bool = { false }) {
        self.progress = progress
        self.shouldCancel = shouldCancel
    }

    public static let silent = TrainingMonitor()
}

import FoundationEssentials
