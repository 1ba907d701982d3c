import ArgumentParser
import FoundationEssentials
import SparrowCompression
import SparrowModel

/// `sparrow compress MODEL.onnx -o OUT.sparrow [--config CONFIG.json] [--report REPORT.json]`
struct CompressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compress",
        abstract: "Prune, quantize and Huffman-code an ONNX model into a .sparrow artifact (data-free).")

    @Argument(help: "The ONNX model to compress.") var model: String
    @Option(name: .shortAndLong, help: "Where to write the .sparrow artifact.") var output: String
    @Option(help: "Compression settings as JSON (see docs/COMPRESSION.md); defaults follow the paper.") var config: String?
    @Option(help: "Write the size report as JSON to this file.") var report: String?
    @Flag(help: "Skip measuring the dense model after gzip -9 (slow on very large models).") var noGzip = false
    @Flag(name: .shortAndLong, help: "Print only errors.") var quiet = false
    @OptionGroup(title: "Fine-tuning (with --dataset or the config's \"finetune\" object)") var finetune: FinetuneArguments

    func run() throws {
        try CLIFiles.checkOutputs([output, report], inputs: [model, config, finetune.training.dataset, finetune.training.eval])
        let settings = try config.map { try CompressionConfig(json: CLIFiles.read($0)) } ?? CompressionConfig()
        try finetune.checkNotIgnored(settings)
        if finetune.requested(settings) {
            let result = try finetune.run(model: model, config: settings, quiet: quiet)
            try CLIFiles.write(result.bytes, to: output)
            if let report { try CLIFiles.write(result.report.json(), to: report) }
            if !quiet { print(result.report.table()) }
            return
        }
        let quiet = self.quiet
        // The file's bytes go straight into compress, which releases them once parsed.
        let result = try DeepCompression.compress(onnx: CLIFiles.read(model), config: settings, reportGzip: !noGzip, progress: { stage, fraction in
            if !quiet && stage == "compress" && fraction == 1 { Console.err("compressed all layers\n") }
        })
        try CLIFiles.write(result.bytes, to: output)
        if let report { try CLIFiles.write(result.report.json(), to: report) }
        if !quiet { print(result.report.table()) }
    }
}

/// File access for the commands (the library targets do no I/O).
enum CLIFiles {
    static func read(_ path: String) throws -> [UInt8] {
        do { return try FileIO.read(path) } catch let error as ModelError { throw CLIError(error.message) }
    }

    /// Checked before any work: each output's directory exists, no output is one of the inputs
    /// (which the atomic rename would replace), and no two outputs are the same file.
    static func checkOutputs(_ outputs: [String?], inputs: [String?]) throws {
        let outputs = outputs.compactMap { $0 }, inputs = inputs.compactMap { $0 }
        for (k, output) in outputs.enumerated() {
            let directory = FileIO.directory(of: output)
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory else {
                throw CLIError("cannot write \(output): directory \(directory) does not exist")
            }
            if let input = inputs.first(where: { $0 == output || FileIO.sameFile($0, output) }) {
                throw CLIError("refusing to write \(output) over the input \(input)")
            }
            if let other = outputs[..<k].first(where: { $0 == output || FileIO.sameFile($0, output) }) {
                throw CLIError("\(output) and \(other) are the same file; give each output its own path")
            }
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do { try FileIO.write(bytes, to: path) } catch let error as ModelError {
            throw CLIError(error.message)
        }
    }
}
