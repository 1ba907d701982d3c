import FoundationEssentials
import SwiftProtobuf

/// An ONNX model: the parsed protobuf and its conversion to Sparrow's `Graph`.
///
/// Loading validates the whole model up front (opsets, tensor sizes, node order), so later stages
/// can trust `graph`. The protobuf is kept so the model can be re-serialized with its weights
/// replaced or removed, which is how compressed artifacts store the non-weight part of a model.
public struct ONNXModel: Sendable {
    public let proto: Onnx_ModelProto
    public let graph: Graph

    /// Parses and validates ONNX protobuf bytes.
    public init(serializedBytes bytes: [UInt8]) throws {
        try self.init(proto: ONNXModel.parse(bytes))
    }

    /// Parses ONNX bytes whose graph had initializers removed (see `serialized(removingInitializers:)`),
    /// putting `initializers` back (added, or replacing same-named ones) before validating.
    public init(serializedBytes bytes: [UInt8], restoringInitializers initializers: [String: Tensor]) throws {
        var proto = try ONNXModel.parse(bytes)
        ONNXModel.replaceInitializers(in: &proto, with: initializers)
        try self.init(proto: proto)
    }

    /// Reads and parses an `.onnx` file.
    public init(contentsOf path: String) throws {
        let bytes = try FileIO.read(path)
        do {
            try self.init(serializedBytes: bytes)
        } catch let error as ModelError {
            throw ModelError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Wraps an already-built protobuf, validating it and converting it to a `Graph`.
    public init(proto: Onnx_ModelProto) throws {
        self.graph = try ONNXModel.makeGraph(proto)
        self.proto = proto
    }

    /// ONNX bytes of this model with the given initializers replaced (encoded as float32 or int64
    /// `raw_data`; names not present are added) and the named ones removed.
    /// Removing a name the graph does not hold is an error, so callers notice typos.
    public func serialized(replacingInitializers replacements: [String: Tensor] = [:],
                           removingInitializers removals: Set<String> = []) throws -> [UInt8] {
        var copy = proto
        let present = Set(copy.graph.initializer.map(\.name))
        if let missing = removals.subtracting(present).sorted().first {
            throw ModelError(.invalid, "cannot remove initializer '\(missing)': the model has no such initializer")
        }
        if let both = removals.intersection(replacements.keys).sorted().first {
            throw ModelError(.invalid, "initializer '\(both)' is both replaced and removed")
        }
        copy.graph.initializer.removeAll { removals.contains($0.name) }
        ONNXModel.replaceInitializers(in: &copy, with: replacements)
        do {
            return try copy.serializedBytes()
        } catch {
            throw ModelError(.invalid, "cannot serialize model: \(error)")
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> Onnx_ModelProto {
        guard !bytes.isEmpty else { throw ModelError(.malformed, "not an ONNX model: the file is empty") }
        do {
            return try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw ModelError(.malformed, "not a valid ONNX model (protobuf decoding failed: \(error))")
        }
    }

    static func replaceInitializers(in proto: inout Onnx_ModelProto, with replacements: [String: Tensor]) {
        guard !replacements.isEmpty else { return }
        var pending = replacements
        for i in proto.graph.initializer.indices {
            let name = proto.graph.initializer[i].name
            if let tensor = pending.removeValue(forKey: name) {
                proto.graph.initializer[i] = tensor.onnxProto(name: name)
            }
        }
        // Sorted so the output bytes are deterministic.
        for (name, tensor) in pending.sorted(by: { $0.key < $1.key }) {
            proto.graph.initializer.append(tensor.onnxProto(name: name))
        }
    }
}
