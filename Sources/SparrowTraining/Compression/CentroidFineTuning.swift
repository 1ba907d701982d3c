import SparrowCompression

/// Trained quantization (Deep Compression §3.3): after k-means weight sharing, the shared
/// centroids are fine-tuned — each centroid moves by the sum of its cluster's weight gradients —
/// so every layer keeps at most 2^bits − 1 distinct non-zero values and its pruning pattern.
public enum CentroidFineTuning {
    /// The trainer's view of a quantized layer: codebook entry 0 is the pruned zero.
    public static func sharedWeights(_ layer: QuantizedLayer) -> SharedWeights {
        var assignments = [Int32](repeating: -1, count: layer.count)
        for (p, c) in zip(layer.positions, layer.codes) { assignments[p] = Int32(c) - 1 }
        return SharedWeights(centroids: Array(layer.codebook.dropFirst()), assignments: assignments)
    }

    /// Fine-tunes the centroids of `layers` (keyed by parameter name) and returns the layers with
    /// their updated codebooks. Other parameters (biases, layers not quantized) train freely
    /// unless `freezeOthers` is set.
    public static func run(_ trainer: Trainer, layers: [String: QuantizedLayer], data: LabeledData, epochs: Int,
                           span: Trainer.Span = Trainer.Span(stage: "finetune-centroids"),
                           monitor: TrainingMonitor = .silent) throws -> (layers: [String: QuantizedLayer], reports: [TrainingProgress]) {
        trainer.removeMasks()
        for (name, layer) in layers.sorted(by: { $0.key < $1.key }) {
            try trainer.share(name, sharedWeights(layer))
        }
        // Weights not shared but already pruned keep their zeros.
        for name in trainer.weightNames where layers[name] == nil {
            if let w = trainer.network.value(of: name), w.contains(0) {
                try trainer.setMask(w.map { $0 != 0 }, for: name)
            }
        }
        let reports = try trainer.fit(data, epochs: epochs, span: span, monitor: monitor)
        var result = layers
        for (name, layer) in layers {
            guard let shared = trainer.sharing[name] else { continue }
            var updated = layer
            updated.codebook = [0] + shared.centroids
            result[name] = updated
        }
        trainer.removeSharing()
        return (result, reports)
    }
}
