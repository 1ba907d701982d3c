import Foundation
import SparrowCompression
import SparrowModel
import SparrowTraining
import Testing

@Test func scratchMNIST() throws {
    let env = ProcessInfo.processInfo.environment
    guard let model = env["SCRATCH"] else { return }
    func f(_ k: String, _ d: Double) -> Double { Double(env[k] ?? "") ?? d }
    let train = try #require(try MNISTFixture.load(train: true, limit: Int(f("N", 60000))))
    let test = try #require(try MNISTFixture.load(train: false, limit: 10000))
    let onnx = try ONNXModel(contentsOf: model)
    let net = try TrainableNetwork(graph: onnx.graph)
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 64, learningRate: Float(f("LR", 0.05)),
                                                                     learningRateDecay: Float(f("DECAY", 0.85)), seed: 1))
    let t0 = Date()
    let cache = model + ".trained"
    if FileManager.default.fileExists(atPath: cache) {
        let trained = try ONNXModel(contentsOf: cache)
        for (k, v) in trained.graph.initializers { try net.setValue(v.floats, of: k) }
    } else {
        try trainer.fit(train, epochs: Int(f("E", 3)), monitor: TrainingMonitor(progress: { print($0.line) }))
        try Data(onnx.serialized(replacingInitializers: net.trainedInitializers())).write(to: URL(fileURLWithPath: cache))
    }
    let base = try trainer.evaluate(test)
    print("baseline test error", base.error, "time", Date().timeIntervalSince(t0))
    let baseline = net.trainedGraph()
    var config = CompressionConfig()
    let dens = (env["DENS"] ?? "0.08,0.09,0.26").split(separator: ",").map { Double($0)! }
    let names = trainer.weightNames.sorted()
    for (n, d) in zip(names, dens) { config.prune.layers[n] = 1 - d }
    config.quantize.fcBits = Int(f("FCBITS", 6))
    config.quantize.convBits = Int(f("CONVBITS", 8))
    if env["AUTOIDX"] != nil { config.indexBits = .auto }
    let t1 = Date()
    var opts = FineTunedCompression.Options(training: TrainingOptions(epochs: Int(f("RE", 6)), batchSize: 64,
        learningRate: Float(f("RLR", 0.01)), learningRateDecay: Float(f("RDECAY", 0.8)), seed: 2),
        schedule: PruningSchedule(rawValue: env["SCHED"] ?? "iterative")!, centroidEpochs: Int(f("CE", 2)),
        centroidLearningRateFactor: Float(f("CLR", 0.01)))
    opts.training.threads = 2
    let result = try FineTunedCompression.compress(
        graph: baseline, config: config, trainingData: train, evaluation: test, options: opts,
        serializeGraph: { try onnx.serialized(replacingInitializers: $0, removingInitializers: $1) },
        monitor: TrainingMonitor(progress: { print($0.line) }))
    print(result.report.table())
    print("ratio", result.report.ratio, "bytes", result.bytes.count, "accuracy", result.report.accuracy as Any,
          "time", Date().timeIntervalSince(t1))
}
