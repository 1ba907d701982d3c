import SparrowModel

extension Artifact {
    /// The file's bytes. Deterministic: same artifact, same bytes.
    public func serialized() -> [UInt8] {
        var sections: [(SectionKind, [UInt8])] = [(.meta, metadata.jsonValue.serialized()), (.graph, graphBytes)]
        for layer in layers { sections.append((.layer, Artifact.layerSection(layer))) }
        let dataStart = Artifact.headerSize + Artifact.tableEntrySize * sections.count + 4
        var out: [UInt8] = []
        out.reserveCapacity(dataStart + sections.reduce(0) { $0 + $1.1.count })
        out += Artifact.magic
        out.appendLE(Artifact.version)
        out.appendLE(UInt32(0))
        out.appendLE(UInt32(sections.count))
        var offset = dataStart
        for (kind, bytes) in sections {
            out.appendLE(kind.rawValue)
            out.appendLE(UInt32(0))
            out.appendLE(UInt64(offset))
            out.appendLE(UInt64(bytes.count))
            out.appendLE(Zlib.crc32(bytes))
            out.appendLE(UInt32(0))
            offset += bytes.count
        }
        out.appendLE(Zlib.crc32(out))
        for (_, bytes) in sections { out += bytes }
        return out
    }

    /// Size of one layer's section (what the layer costs in the file).
    public static func sectionSize(of layer: CompressedLayer) -> Int { layerSection(layer).count }

    static func layerSection(_ layer: CompressedLayer) -> [UInt8] {
        var out: [UInt8] = []
        let name = Array(layer.name.utf8)
        out.appendLE(UInt16(name.count))
        out += name
        out.append(layer.kind == .fc ? 0 : 1)
        out.append(layer.order == .csr ? 0 : 1)
        out.append(UInt8(layer.weightBits))
        out.append(UInt8(layer.indexBits))
        out.append(UInt8(layer.shape.count))
        for d in layer.shape { out.appendLE(UInt64(d)) }
        for c in layer.codebook { out.appendLE(c.bitPattern) }
        out.appendLE(UInt64(layer.entryCount))
        out.appendLE(UInt64(layer.nonzeroCount))
        for stream in [layer.codeStream, layer.gapStream] {
            switch stream.encoding {
            case .fixed: out.append(0)
            case .huffman(let lengths): out.append(1); out += lengths
            }
            out.appendLE(UInt64(stream.bitCount))
            out += stream.bytes
        }
        return out
    }
}
