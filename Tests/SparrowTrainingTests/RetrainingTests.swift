import SparrowCompression
import SparrowModel
import SparrowTraining
import Testing

private func prunedTrainer(seed: UInt64 = 21) throws -> (Trainer, LabeledData) {
    let data = try TestData.argmaxProblem(count: 192, features: 8, classes: 4, seed: seed)
    let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 16, classes: 4))
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 16, learningRate: 0.1, seed: 1))
    try trainer.fit(data, epochs: 3)
    return (trainer, data)
}

@Test(arguments: PruningSchedule.allCases)
func prunedWeightsStayExactlyZero(schedule: PruningSchedule) throws {
    let (trainer, data) = try prunedTrainer()
    let targets = ["fc1.w": 0.8, "fc2.w": 0.7, "fc3.w": 0.5]
    try Retraining.run(trainer, plan: .init(sparsity: targets, schedule: schedule, epochs: 3), data: data)
    for (name, s) in targets {
        let w = try #require(trainer.network.value(of: name))
        let mask = try #require(trainer.masks[name])
        #expect(zip(w, mask).allSatisfy { $1 != 0 || $0 == 0 }, "\(name): a masked weight moved")
        let zeros = w.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / Double(w.count) - s) < 0.02, "\(name) sparsity \(zeros)/\(w.count)")
    }
    // Biases were not pruned.
    #expect(trainer.network.value(of: "fc1.b")!.contains { $0 != 0 })
}

@Test func retrainingRecoversAccuracyAfterPruning() throws {
    let (trainer, data) = try prunedTrainer(seed: 22)
    try trainer.fit(data, epochs: 3)
    let dense = try trainer.evaluate(data)
    try Retraining.prune(trainer, sparsity: ["fc1.w": 0.85, "fc2.w": 0.85])
    let pruned = try trainer.evaluate(data)
    try trainer.fit(data, epochs: 4)
    let retrained = try trainer.evaluate(data)
    #expect(retrained.loss < pruned.loss, "pruned \(pruned.loss), retrained \(retrained.loss), dense \(dense.loss)")
}

@Test func schedulesFollowTheirFormulas() {
    #expect(PruningSchedule.gradualSparsity(initial: 0, final: 0.9, step: 0, start: 0, pruningSteps: 10, interval: 5) == 0)
    #expect(abs(PruningSchedule.gradualSparsity(initial: 0, final: 0.9, step: 25, start: 0, pruningSteps: 10, interval: 5)
        - 0.9 * (1 - 0.125)) < 1e-12)
    #expect(PruningSchedule.gradualSparsity(initial: 0, final: 0.9, step: 80, start: 0, pruningSteps: 10, interval: 5) == 0.9)
    #expect(abs(PruningSchedule.iterativeSparsity(final: 0.91, round: 3, rounds: 3) - 0.91) < 1e-12)
    let first = PruningSchedule.iterativeSparsity(final: 0.91, round: 1, rounds: 2)
    #expect(abs((1 - first) * (1 - first) - 0.09) < 1e-12)
}

@Test func centroidFineTuningKeepsTheCodebookSize() throws {
    let (trainer, data) = try prunedTrainer(seed: 23)
    let targets = ["fc1.w": 0.7, "fc2.w": 0.7, "fc3.w": 0.5]
    try Retraining.run(trainer, plan: .init(sparsity: targets, epochs: 1), data: data)
    var layers: [String: QuantizedLayer] = [:]
    for name in targets.keys {
        let p = trainer.network.parameters.first { $0.name == name }!
        let pruned = Pruner.prune(trainer.network.value(of: name)!, shape: p.shape, rule: .none)
        layers[name] = Quantizer.quantize(pruned, name: name, kind: .fc, bits: 3)
    }
    let before = try trainer.evaluate(data)
    let sharedBefore = layers.mapValues { $0.codebook }
    // A centroid's gradient sums its whole cluster, so the step is smaller than for free weights.
    trainer.restart(learningRate: 0.005)
    let (tuned, _) = try CentroidFineTuning.run(trainer, layers: layers, data: data, epochs: 3)
    let after = try trainer.evaluate(data)
    #expect(after.loss < before.loss, "centroid fine-tuning \(before.loss) → \(after.loss)")
    for (name, layer) in tuned {
        let w = trainer.network.value(of: name)!
        let distinct = Set(w.filter { $0 != 0 })
        #expect(distinct.count <= (1 << 3) - 1, "\(name) holds \(distinct.count) values")
        #expect(w == layer.dense(), "\(name): network weights differ from the tuned codebook")
        #expect(layer.codebook != sharedBefore[name], "\(name): centroids did not move")
        let zerosBefore = layers[name]!.dense().map { $0 == 0 }
        #expect(w.map { $0 == 0 } == zerosBefore, "\(name): pruning pattern changed")
    }
}

@Test func denseSparseDenseRestoresDensity() throws {
    let data = try TestData.argmaxProblem(count: 128, features: 8, classes: 4, seed: 24)
    let net = try TrainableNetwork(graph: TestData.mlp(inputs: 8, hidden: 16, classes: 4))
    let trainer = try Trainer(network: net, options: TrainingOptions(batchSize: 16, learningRate: 0.1, seed: 2))
    var sawSparse = false
    let reports = try DenseSparseDense.run(trainer, plan: .init(sparsity: 0.5, denseEpochs: 2, sparseEpochs: 2, redenseEpochs: 2),
                                           data: data, monitor: TrainingMonitor(progress: { _ in }))
    for r in reports where r.stage == "dsd sparse" { sawSparse = sawSparse || r.sparsity > 0.45 }
    #expect(sawSparse)
    #expect(reports.count == 6)
    #expect(trainer.sparsity() < 0.1, "re-dense phase should regrow the pruned weights")
    #expect(abs(trainer.learningRate - 0.01) < 1e-6)
}
