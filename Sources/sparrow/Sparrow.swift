import ArgumentParser

@main
struct Sparrow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparrow",
        abstract: "Deep Compression for ONNX models: compress, inspect, run and serve.",
        subcommands: [ServeCommand.self, Infer.self, Eval.self, BenchModel.self, HTTPTestServerCommand.self,
                      HTTPBenchServerCommand.self, HealthcheckCommand.self]
    )
}
