import SparrowModel
import SparrowTraining
import Testing

@Test func trainingLowersTheLossWithSGD() throws {
    let data = try TestData.argmaxProblem(count: 256, features: 8, classes: 4, seed: 11)
    let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 16, classes: 4))
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 16, learningRate: 0.1, seed: 3))
    let before = try trainer.evaluate(data)
    let reports = try trainer.fit(data, epochs: 8)
    let after = try trainer.evaluate(data)
    #expect(after.loss < before.loss * 0.6, "loss \(before.loss) → \(after.loss)")
    #expect(after.accuracy > before.accuracy + 0.2)
    #expect(reports.count == 8 && reports.last!.fraction == 1)
    #expect(reports.last!.line.contains("ETA"))
}

@Test func adamWithDropoutLowersTheLoss() throws {
    let data = try TestData.argmaxProblem(count: 256, features: 8, classes: 4, seed: 12)
    let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 16, classes: 4, dropout: 0.2))
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 32, learningRate: 0.01,
                                                                     optimizer: .defaultAdam, seed: 4))
    let before = try trainer.evaluate(data)
    try trainer.fit(data, epochs: 8)
    #expect(try trainer.evaluate(data).loss < before.loss * 0.6)
}

@Test func equalSeedsGiveIdenticalWeights() throws {
    let data = try TestData.argmaxProblem(count: 96, features: 8, classes: 4, seed: 13)
    func run(_ seed: UInt64) throws -> [Float] {
        let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 16, classes: 4, dropout: 0.3))
        let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 10, learningRate: 0.05, seed: seed))
        try trainer.fit(data, epochs: 2)
        return net.parameters.flatMap { net.value(of: $0.name)! }
    }
    let a = try run(5), b = try run(5), c = try run(6)
    #expect(a == b)
    #expect(a != c)
}

@Test func cancellationStopsTraining() throws {
    let data = try TestData.argmaxProblem(count: 64, features: 8, classes: 4, seed: 14)
    let trainer = try Trainer(network: try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 8, classes: 4)),
                              options: TrainingOptions())
    #expect(throws: TrainingError.cancelled) {
        try trainer.fit(data, epochs: 3, monitor: TrainingMonitor(shouldCancel: { true }))
    }
}

@Test func badInputIsATypedError() throws {
    var b = GraphBuilder()
    b.node("Tanh", ["x"], "y")
    #expect(throws: TrainingError.self) { try TrainableNetwork(graph: b.graph(input: [3], output: "y", classes: 3)) }
    let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 8, classes: 4))
    let trainer = try Trainer(network: net, options: TrainingOptions())
    let wrongShape = try TestData.random(count: 4, sampleShape: [5], classes: 4, seed: 1)
    #expect(throws: TrainingError.self) { try trainer.fit(wrongShape, epochs: 1) }
    let badLabels = try LabeledData(features: [Float](repeating: 0, count: 8), sampleShape: [8], labels: [9])
    #expect(throws: TrainingError.self) { try trainer.fit(badLabels, epochs: 1) }
    #expect(throws: TrainingError.self) { try Trainer(network: net, options: TrainingOptions(batchSize: 0)) }
}
