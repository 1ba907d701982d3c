import SparrowCompression
import SparrowModel

/// Brings a data directory written by an older Sparrow up to date, once, at start.
extension ServiceCore {
    static let schemaVersion = 1

    func migrate() throws {
        let from = try catalog.schemaVersion
        guard from < ServiceCore.schemaVersion else { return }
        if from < 1 { try recordDeclaredElementTypes() }
        try catalog.setSchemaVersion(ServiceCore.schemaVersion)
    }

    /// Version 1: inputs and outputs carry the model's declared element type (UINT8, FP16, …);
    /// before, they carried the type Sparrow computes in (INT64 or FP32).
    private func recordDeclaredElementTypes() throws {
        for version in try catalog.allVersions() {
            do {
                let bytes = try blobs.read(version.digest)
                let graphBytes = version.kind == .dense ? bytes : try Artifact(bytes: bytes).graphBytes
                let graph = try ONNXModel(serializedBytes: graphBytes).graph
                try catalog.updateTensorSpecs(modelID: version.modelID, version: version.version,
                                              inputs: graph.inputs.map(ServableModel.spec),
                                              outputs: graph.outputs.map(ServableModel.spec))
            } catch {
                // The version stays as it was; loading it will report what is wrong.
                logger.warning("could not record element types", metadata: [
                    "model": "\(version.modelID)", "version": "\(version.version)", "error": "\(error)"])
            }
        }
    }
}
