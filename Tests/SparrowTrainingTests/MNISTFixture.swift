import Foundation
import SparrowTraining

/// Test-only access to the MNIST IDX files (gunzipped by the system's gzip). The product readers
/// live in SparrowModel; this is just enough to feed a few hundred samples to the tests.
enum MNISTFixture {
    static var directory: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SPARROW_MNIST_DIR"] { candidates.append(env) }
        let cwd = FileManager.default.currentDirectoryPath
        candidates += [cwd + "/../shared/datasets/mnist", "/work/shared/datasets/mnist"]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/train-images-idx3-ubyte.gz") }
    }

    static func gunzip(_ path: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -dc \"$0\"", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    /// The first `limit` samples of a split, pixels scaled to [0, 1], shape [1, 28, 28].
    static func load(train: Bool, limit: Int) throws -> LabeledData? {
        guard let dir = directory else { return nil }
        let prefix = train ? "train" : "t10k"
        let images = try gunzip("\(dir)/\(prefix)-images-idx3-ubyte.gz")
        let labels = try gunzip("\(dir)/\(prefix)-labels-idx1-ubyte.gz")
        let n = min(limit, (labels.count - 8))
        let pixels = images[16..<(16 + n * 784)].map { Float($0) / 255 }
        return try LabeledData(features: Array(pixels), sampleShape: [1, 28, 28], labels: labels[8..<(8 + n)].map { Int($0) })
    }
}
