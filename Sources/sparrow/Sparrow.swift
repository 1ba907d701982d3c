import ArgumentParser

@main
struct Sparrow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparrow",
        abstract: "Deep Compression for ONNX models: compress, inspect, run and serve.",
        // One subcommand per line, alphabetical within each group, so parallel additions merge cleanly.
        subcommands: [
            // Models
            CompressCommand.self,
            DsdCommand.self,
            Eval.self,
            ExportCommand.self,
            Infer.self,
            InspectCommand.self,
            TrainCommand.self,
            // Service
            HealthcheckCommand.self,
            ServeCommand.self,
            // Benchmarks and developer tools
            BenchLayerCommand.self,
            BenchLayersCommand.self,
            BenchModel.self,
            HTTPBenchServerCommand.self,
            HTTPTestServerCommand.self,
        ]
    )
}
