import ArgumentParser
import SparrowCompression

/// `sparrow export ARTIFACT -o OUT.onnx`
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Decode a .sparrow artifact into a standard dense ONNX model.")

    @Argument(help: "The .sparrow artifact.") var artifact: String
    @Option(name: .shortAndLong, help: "Where to write the ONNX model.") var output: String

    func run() throws {
        try CLIFiles.checkOutputs([output], inputs: [artifact])
        let parsed = try Artifact(bytes: CLIFiles.read(artifact))
        try MemoryCheck.require(parsed, dense: true, path: artifact)
        try CLIFiles.write(try parsed.denseONNX(), to: output)
    }
}
