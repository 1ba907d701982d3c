import SparrowModel

/// Samples and their class labels, in memory: `features` holds `count` samples of `sampleShape`
/// back to back (float32, row-major).
public struct LabeledData: Sendable, Equatable {
    public var features: [Float]
    public var sampleShape: [Int]
    public var labels: [Int]

    public var count: Int { labels.count }
    public var sampleSize: Int { Tensor.count(of: sampleShape) }

    public init(features: [Float], sampleShape: [Int], labels: [Int]) throws {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw TrainingError.invalidDataset("sample shape \(sampleShape) must be non-empty and positive")
        }
        guard features.count == labels.count * Tensor.count(of: sampleShape) else {
            throw TrainingError.invalidDataset("\(features.count) values do not hold \(labels.count) samples of \(sampleShape)")
        }
        guard labels.allSatisfy({ $0 >= 0 }) else { throw TrainingError.invalidDataset("negative label") }
        self.features = features
        self.sampleShape = sampleShape
        self.labels = labels
    }

    /// The first `n` samples (all if n ≥ count).
    public func prefix(_ n: Int) -> LabeledData {
        let k = max(0, min(n, count))
        return LabeledData(unchecked: Array(features[0..<(k * sampleSize)]), sampleShape, Array(labels[0..<k]))
    }

    init(unchecked features: [Float], _ shape: [Int], _ labels: [Int]) {
        self.features = features
        self.sampleShape = shape
        self.labels = labels
    }

    /// Reshapes samples to the network's input when the element counts agree (e.g. MNIST's 28×28
    /// images for a 784-input MLP, or flat rows for a [1, 28, 28] convolutional input).
    func conformed(to shape: [Int]) throws -> LabeledData {
        if shape == sampleShape { return self }
        guard Tensor.count(of: shape) == sampleSize else {
            throw TrainingError.invalidDataset("samples of shape \(sampleShape) do not fit the model input \(shape)")
        }
        return LabeledData(unchecked: features, shape, labels)
    }

    /// Gathers the samples at `indices` into one contiguous batch.
    func batch(_ indices: ArraySlice<Int>) -> (features: [Float], labels: [Int]) {
        let size = sampleSize
        var x = [Float](repeating: 0, count: indices.count * size)
        var y = [Int](repeating: 0, count: indices.count)
        features.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                for (row, i) in indices.enumerated() {
                    (dst.baseAddress! + row * size).update(from: src.baseAddress! + i * size, count: size)
                    y[row] = labels[i]
                }
            }
        }
        return (x, y)
    }
}
