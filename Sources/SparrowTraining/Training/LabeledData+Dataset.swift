import SparrowModel

extension LabeledData {
    /// The samples of a loaded data set (`Dataset.load`: .npz with x and y, or MNIST IDX).
    public init(dataset: Dataset) throws {
        guard dataset.x.rank >= 2 else {
            throw TrainingError.invalidDataset("inputs of shape \(dataset.x.shape) have no per-sample dimensions")
        }
        if let bad = dataset.y.first(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
            throw TrainingError.invalidDataset("label \(bad) is out of range")
        }
        try self.init(features: dataset.x.floats, sampleShape: Array(dataset.x.shape.dropFirst()),
                      labels: dataset.y.map { Int($0) })
    }

    /// Loads a data set file for training: an .npz with x and y, a directory with the MNIST IDX
    /// files (`split` "train" or "test"), or IDX images with a `labels` file (plain or .gz).
    public static func load(path: String, labels: String? = nil, split: String = "train") throws -> LabeledData {
        try LabeledData(dataset: Dataset.load(path: path, labels: labels, split: split))
    }
}
