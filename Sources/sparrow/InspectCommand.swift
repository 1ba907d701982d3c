import ArgumentParser
import FoundationEssentials
import SparrowCompression

/// `sparrow inspect ARTIFACT [--json]`
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Check a .sparrow artifact and print its per-layer sizes (the paper's Tables 2 and 3).")

    @Argument(help: "The .sparrow artifact.") var artifact: String
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let bytes = try CLIFiles.read(artifact)
        let parsed = try Artifact(bytes: bytes)
        try parsed.validate()
        try parsed.checkLayersAgainstGraph()
        let report = CompressionReport(artifact: parsed, fileSize: bytes.count)
        if json { print(String(decoding: report.json(), as: UTF8.self)) } else { print(report.table()) }
    }
}
