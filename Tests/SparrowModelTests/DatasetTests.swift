import Foundation
import Testing
import SparrowModel

private func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "sparrow-dataset-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Test func datasetFromNPZ() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/d.npz"
    try NPZ.write(["x": Tensor(shape: [3, 2], int64s: [1, 2, 3, 4, 5, 6]),
                   "y": Tensor(shape: [3], floats: [0, 1, 2])], to: path, compressed: true)
    let d = try Dataset.load(path: path)
    #expect(d.x == Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6]))
    #expect(d.y == [0, 1, 2])
    let batch = d.batch(1..<5)
    #expect(batch.x == Tensor(shape: [2, 2], floats: [3, 4, 5, 6]))
    #expect(Array(batch.y) == [1, 2])

    try NPZ.write(["x": Tensor.zeros([2, 2]), "y": Tensor(shape: [2], floats: [0.5, 1])], to: path)
    #expect(throws: ModelError.self) { try Dataset.load(path: path) }  // non-integer labels
    try NPZ.write(["x": Tensor.zeros([2, 2]), "y": Tensor(shape: [3], int64s: [0, 1, 2])], to: path)
    #expect(throws: ModelError.self) { try Dataset.load(path: path) }  // count mismatch
    try NPZ.write(["x": Tensor.zeros([2, 2])], to: path)
    #expect(throws: ModelError.self) { try Dataset.load(path: path) }  // no y
}

@Test func datasetFromMNISTFilesAndDirectory() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let images = Tensor(shape: [2, 2, 2], int64s: [0, 255, 51, 102, 255, 0, 0, 0])
    let labels = Tensor(shape: [2], int64s: [3, 9])
    try FileIO.write(Zlib.gzip(IDX.encode(images)), to: dir + "/t10k-images-idx3-ubyte.gz")
    try FileIO.write(IDX.encode(labels), to: dir + "/t10k-labels-idx1-ubyte")
    let expected = Tensor(shape: [2, 1, 2, 2], floats: [0, 1, 0.2, 0.4, 1, 0, 0, 0])

    let byFiles = try Dataset.load(path: dir + "/t10k-images-idx3-ubyte.gz", labels: dir + "/t10k-labels-idx1-ubyte")
    let byDirectory = try Dataset.load(path: dir, split: "test")
    for d in [byFiles, byDirectory] {
        #expect(d.x == expected)
        #expect(d.y == [3, 9])
    }
    #expect(throws: ModelError.self) { try Dataset.load(path: dir, split: "train") }  // files absent
    #expect(throws: ModelError.self) { try Dataset.load(path: dir, split: "validation") }
    #expect(throws: ModelError.self) { try Dataset.load(path: dir + "/t10k-images-idx3-ubyte.gz") }  // no labels
    #expect(throws: ModelError.self) { try Dataset.load(path: dir + "/missing.npz") }
}
