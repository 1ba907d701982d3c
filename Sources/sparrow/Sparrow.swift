import ArgumentParser

@main
struct Sparrow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sparrow",
        abstract: "Deep Compression for ONNX models: compress, inspect, run and serve.",
        subcommands: [HTTPTestServerCommand.self, HTTPBenchServerCommand.self, HealthcheckCommand.self]
    )
}
