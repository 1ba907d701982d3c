import FoundationEssentials

/// A labelled dataset for evaluation and retraining: inputs `x` (first dimension = samples) and
/// integer class labels `y`.
///
/// Sources:
/// - an `.npz` with arrays `x` and `y` (x taken as stored, converted to float32; y must be integral);
/// - a pair of MNIST IDX files (`load(path: images, labels: labels)`, plain or .gz);
/// - a directory holding the standard MNIST files, with `split` "train" or "test" (alias "t10k").
///
/// MNIST images (uint8 IDX of rank 3) are scaled to float32 in 0...1 (pixel / 255) and shaped
/// [N, 1, 28, 28]; callers reshape to the model's input (e.g. [N, 784]) when element counts match.
public struct Dataset: Sendable {
    public var x: Tensor
    public var y: [Int64]

    public init(x: Tensor, y: [Int64]) throws {
        guard x.rank >= 1, x.shape[0] == y.count else {
            throw ModelError(.invalid, "dataset has \(x.rank >= 1 ? x.shape[0] : 0) inputs but \(y.count) labels")
        }
        self.x = x.dataType == .float32 ? x : Tensor(shape: x.shape, floats: x.floats)
        self.y = y
    }

    public var count: Int { y.count }

    public static func load(path: String, labels: String? = nil, split: String = "test") throws -> Dataset {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError(.io, "dataset not found: \(path)")
        }
        if isDirectory {
            guard labels == nil else {
                throw ModelError(.invalid, "a dataset directory already contains its labels; drop the labels file")
            }
            return try loadMNISTDirectory(path, split: split)
        }
        let bytes = try FileIO.read(path)
        if bytes.starts(with: [0x50, 0x4b]) {  // "PK": a zip, so an .npz
            guard labels == nil else {
                throw ModelError(.invalid, "an .npz dataset holds its labels as array 'y'; drop the labels file")
            }
            return try fromNPZ(bytes, path: path)
        }
        guard let labels else {
            throw ModelError(.invalid, "\(path) is not an .npz; for IDX images also give the labels file")
        }
        return try fromIDX(images: bytes, imagesPath: path, labelsPath: labels)
    }

    static func fromNPZ(_ bytes: [UInt8], path: String) throws -> Dataset {
        let arrays: [String: Tensor]
        do { arrays = try NPZ.decode(bytes) } catch let e as ModelError { throw ModelError(e.kind, "\(path): \(e.message)") }
        guard let x = arrays["x"], let y = arrays["y"] else {
            throw ModelError(.invalid, "\(path): a dataset .npz needs arrays 'x' and 'y' (has \(arrays.keys.sorted()))")
        }
        return try Dataset(x: x, y: labelValues(y, what: "\(path) array 'y'"))
    }

    static func fromIDX(images: [UInt8], imagesPath: String, labelsPath: String) throws -> Dataset {
        var x: Tensor
        do { x = try IDX.decode(images) } catch let e as ModelError { throw ModelError(e.kind, "\(imagesPath): \(e.message)") }
        let y = try IDX.read(path: labelsPath)
        if x.dataType == .int64, x.rank == 3 {
            // uint8 MNIST-style images: scale to 0...1 and add the channel dimension.
            x = Tensor(shape: [x.shape[0], 1, x.shape[1], x.shape[2]], floats: x.int64s.map { Float($0) / 255 })
        }
        return try Dataset(x: x, y: labelValues(y, what: labelsPath))
    }

    static func loadMNISTDirectory(_ dir: String, split: String) throws -> Dataset {
        let prefix: String
        switch split {
        case "test", "t10k": prefix = "t10k"
        case "train": prefix = "train"
        default: throw ModelError(.invalid, "unknown dataset split '\(split)' (use train or test)")
        }
        func find(_ base: String) throws -> String {
            for candidate in [base + ".gz", base] {
                let p = dir.hasSuffix("/") ? dir + candidate : dir + "/" + candidate
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw ModelError(.io, "\(dir) has no \(base)[.gz]")
        }
        let images = try find("\(prefix)-images-idx3-ubyte")
        let labels = try find("\(prefix)-labels-idx1-ubyte")
        return try fromIDX(images: FileIO.read(images), imagesPath: images, labelsPath: labels)
    }

    static func labelValues(_ t: Tensor, what: String) throws -> [Int64] {
        guard t.rank == 1 || (t.rank == 2 && t.shape[1] == 1) else {
            throw ModelError(.invalid, "\(what): labels must be a vector, got shape \(t.shape)")
        }
        if case .float32(let v) = t.storage,
           let bad = v.first(where: { $0 != $0.rounded() || !$0.isFinite || abs($0) >= 9.2e18 }) {
            throw ModelError(.invalid, "\(what): labels must be integers, found \(bad)")
        }
        return t.int64s
    }

    /// Samples `range` (clamped to the dataset) as a batch: x sliced along its first dimension.
    public func batch(_ range: Range<Int>) -> (x: Tensor, y: ArraySlice<Int64>) {
        let r = range.clamped(to: 0..<count)
        let per = x.shape.dropFirst().reduce(1, *)
        let slice: [Float]
        switch x.storage {
        case .float32(let v): slice = Array(v[(r.lowerBound * per)..<(r.upperBound * per)])
        case .int64(let v): slice = v[(r.lowerBound * per)..<(r.upperBound * per)].map { Float($0) }
        }
        return (Tensor(shape: [r.count] + x.shape.dropFirst(), floats: slice), y[r])
    }
}
