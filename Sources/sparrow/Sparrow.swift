import ArgumentParser

@main
struct Sparrow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparrow",
        abstract: "Deep Compression for ONNX models: compress, inspect, run and serve.",
        subcommands: [CompressCommand.self, InspectCommand.self, ExportCommand.self, BenchLayerCommand.self,
                      Infer.self, Eval.self, BenchModel.self, TrainCommand.self, DsdCommand.self]
    )
}
