import ArgumentParser
import Dispatch
import FoundationEssentials
import SparrowCompression
import SparrowInference
import SparrowModel

/// `sparrow bench-model MODEL --batch B --iterations N`: times the runtime's `run` in-process.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model",
        abstract: "Time a model's forward pass on random inputs (only run() is timed).",
        discussion: "Dynamic input dimensions take --batch for the first axis and 1 elsewhere."
    )

    @Argument(help: "The model (.onnx or .sparrow).") var model: String
    @Option(help: "Engine for .sparrow artifacts: sparse (packed weights) or dense (decoded, for comparison).")
    var engine: InferenceEngine = .sparse
    @Option(help: "Batch size (the first dynamic dimension).") var batch = 1
    @Option(help: "Timed iterations.") var iterations = 100
    @Option(help: "Untimed warm-up iterations.") var warmup = 10
    @Flag(help: "Print the timings as JSON.") var json = false
    @Option(help: "Time on these inputs (.npz or .npy, as for infer) instead of random ones; --batch is then ignored.")
    var input: String?

    func validate() throws {
        guard batch > 0, iterations > 0, warmup >= 0 else {
            throw CLIError("--batch and --iterations must be positive, --warmup non-negative")
        }
    }

    func run() throws {
        let loaded = try loadModelForInference(path: model, engine: engine)
        var generator = SplitMix64(seed: 42)
        var feeds: [String: Tensor] = [:]
        for info in loaded.graph.inputs where input == nil {
            let shape = info.shape.enumerated().map { axis, dim -> Int in
                if case .fixed(let n) = dim { return n }
                return axis == 0 ? self.batch : 1
            }
            let n = shape.reduce(1, *)
            switch info.dataType {
            case .float32: feeds[info.name] = Tensor(shape: shape, floats: (0..<n).map { _ in generator.nextUnitFloat() })
            case .int64: feeds[info.name] = Tensor(shape: shape, int64s: (0..<n).map { _ in Int64(generator.next() % 2) })
            }
        }
        if let input { feeds = try InputFeeding.load(path: input, for: loaded.graph) }
        let batch = feeds.values.first?.shape.first ?? self.batch
        for _ in 0..<warmup { _ = try loaded.runtime.run(feeds) }
        var times: [Double] = []
        times.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try loaded.runtime.run(feeds)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let sorted = times.sorted()
        let mean = times.reduce(0, +) / Double(times.count)
        let median = sorted[sorted.count / 2]
        let perSecond = Double(batch) / (median / 1000)
        if json {
            print("{\"batch\": \(batch), \"iterations\": \(iterations), \"mean_ms\": \(mean), \"median_ms\": \(median), \"min_ms\": \(sorted[0]), \"samples_per_second\": \(perSecond)}")
        } else {
            print(String(cFormat: "batch %ld, %ld iterations: median %.3f ms, mean %.3f ms, min %.3f ms, %.0f samples/s",
                         batch, iterations, median, mean, sorted[0], perSecond))
        }
    }
}
