import SparrowModel

extension Artifact {
    /// Reads and checks a `.sparrow` file: magic, version, section table and its CRC, each
    /// section's bounds and CRC, then every field of every section. Throws
    /// `CompressionError.malformedArtifact` naming the section for anything out of place.
    public init(bytes: [UInt8]) throws(CompressionError) {
        var header = ByteReader(bytes, range: 0..<bytes.count, section: "header")
        guard bytes.count >= 4, Array(bytes[0..<4]) == Artifact.magic else {
            throw .malformedArtifact(section: "header", message: "not a .sparrow file (bad magic)")
        }
        _ = try header.take(4, "magic")
        let version = try header.u32("version")
        guard version == Artifact.version else {
            throw .malformedArtifact(section: "header", message: "unsupported version \(version) (this reader knows \(Artifact.version))")
        }
        guard try header.u32("flags") == 0 else { throw .malformedArtifact(section: "header", message: "unknown flags set") }
        let sectionCount = Int(try header.u32("section count"))
        guard sectionCount >= 1, sectionCount <= Artifact.maxSections,
              Artifact.tableEntrySize * sectionCount + 4 <= header.remaining else {
            throw .malformedArtifact(section: "header", message: "section count \(sectionCount) does not fit a file of \(bytes.count) bytes")
        }
        let tableEnd = Artifact.headerSize + Artifact.tableEntrySize * sectionCount
        // The table's CRC is checked before any of its offsets is believed.
        var tableCRCReader = ByteReader(bytes, range: tableEnd..<tableEnd + 4, section: "section table")
        guard try tableCRCReader.u32("table crc") == Zlib.crc32(bytes[0..<tableEnd]) else {
            throw .malformedArtifact(section: "section table", message: "CRC mismatch")
        }
        var table = ByteReader(bytes, range: Artifact.headerSize..<tableEnd, section: "section table")
        var entries: [(kind: UInt32, range: Range<Int>, crc: UInt32)] = []
        var previousEnd = tableEnd + 4
        for i in 0..<sectionCount {
            let kind = try table.u32("section \(i) kind")
            guard try table.u32("section \(i) reserved") == 0 else { throw table.fail("section \(i): reserved field not zero") }
            let offset = try table.u64("section \(i) offset")
            let length = try table.u64("section \(i) length")
            let crc = try table.u32("section \(i) crc")
            guard try table.u32("section \(i) reserved") == 0 else { throw table.fail("section \(i): reserved field not zero") }
            let (end, overflow) = offset.addingReportingOverflow(length)
            guard !overflow, end <= UInt64(bytes.count) else {
                throw table.fail("section \(i) (offset \(offset), length \(length)) runs past the end of the \(bytes.count)-byte file")
            }
            guard offset >= UInt64(previousEnd) else {
                throw table.fail("section \(i) at offset \(offset) overlaps the table or the previous section")
            }
            previousEnd = Int(end)
            entries.append((kind, Int(offset)..<Int(end), crc))
        }
        var metadata: ArtifactMetadata?
        var graph: [UInt8]?
        var layers: [CompressedLayer] = []
        var names = Set<String>()
        for (i, entry) in entries.enumerated() {
            guard let kind = SectionKind(rawValue: entry.kind) else {
                throw .malformedArtifact(section: "section \(i)", message: "unknown section kind \(entry.kind)")
            }
            let label = "\(kind) section \(i)"
            guard Zlib.crc32(bytes[entry.range]) == entry.crc else {
                throw .malformedArtifact(section: label, message: "CRC mismatch")
            }
            switch kind {
            case .meta:
                guard metadata == nil else { throw .malformedArtifact(section: label, message: "second meta section") }
                let json: JSONValue
                do { json = try JSONValue.parse(Array(bytes[entry.range])) } catch {
                    throw .malformedArtifact(section: label, message: "not valid JSON")
                }
                metadata = try ArtifactMetadata(json: json)
            case .graph:
                guard graph == nil else { throw .malformedArtifact(section: label, message: "second graph section") }
                graph = Array(bytes[entry.range])
            case .layer:
                var reader = ByteReader(bytes, range: entry.range, section: label)
                let layer = try Artifact.readLayer(&reader)
                guard names.insert(layer.name).inserted else {
                    throw .malformedArtifact(section: label, message: "duplicate layer \"\(layer.name)\"")
                }
                layers.append(layer)
            }
        }
        guard let metadata else { throw .malformedArtifact(section: "header", message: "no meta section") }
        guard let graph else { throw .malformedArtifact(section: "header", message: "no graph section") }
        self.init(metadata: metadata, graphBytes: graph, layers: layers)
    }

    static func readLayer(_ r: inout ByteReader) throws(CompressionError) -> CompressedLayer {
        let nameLength = try r.u16("name length")
        guard nameLength > 0 else { throw r.fail("empty layer name") }
        guard let name = String(validating: try r.take(nameLength, "name"), as: UTF8.self) else {
            throw r.fail("layer name is not UTF-8")
        }
        guard let kind = [LayerKind.fc, .conv][safe: try r.u8("kind")] else { throw r.fail("unknown layer kind") }
        guard let order = [SparseOrder.csr, .csc][safe: try r.u8("order")] else { throw r.fail("unknown sparse order") }
        let weightBits = try r.u8("weight bits")
        let indexBits = try r.u8("index bits")
        guard Quantizer.bitRange.contains(weightBits) else { throw r.fail("weight bits \(weightBits) outside \(Quantizer.bitRange)") }
        guard SparseEncoder.indexBitRange.contains(indexBits) else {
            throw r.fail("index bits \(indexBits) outside \(SparseEncoder.indexBitRange)")
        }
        let rank = try r.u8("rank")
        guard rank <= maxRank else { throw r.fail("rank \(rank) exceeds \(maxRank)") }
        var shape: [Int] = []
        var values = 1
        for d in 0..<rank {
            let dim = try r.count("dimension \(d)", max: maxTensorValues)
            let (product, overflow) = values.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maxTensorValues else { throw r.fail("shape has more than \(maxTensorValues) values") }
            values = product
            shape.append(dim)
        }
        let codebookSize = 1 << weightBits
        try r.need(4 * codebookSize, "codebook")
        var codebook: [Float] = []
        for i in 0..<codebookSize {
            let v = try r.f32("codebook entry \(i)")
            guard v.isFinite else { throw r.fail("codebook entry \(i) is not finite") }
            codebook.append(v)
        }
        guard codebook[0].bitPattern == 0 else { throw r.fail("codebook entry 0 must be 0.0 (reserved for fillers)") }
        let entryCount = try r.count("entry count", max: values)
        let nonzeroCount = try r.count("non-zero count", max: entryCount)
        let codeStream = try readStream(&r, "code stream", alphabet: codebookSize, width: weightBits, entries: entryCount)
        let gapStream = try readStream(&r, "gap stream", alphabet: 1 << indexBits, width: indexBits, entries: entryCount)
        guard r.remaining == 0 else { throw r.fail("\(r.remaining) unexpected bytes after the layer") }
        return CompressedLayer(name: name, kind: kind, shape: shape, order: order, weightBits: weightBits,
                               indexBits: indexBits, codebook: codebook, entryCount: entryCount,
                               nonzeroCount: nonzeroCount, codeStream: codeStream, gapStream: gapStream)
    }

    static func readStream(_ r: inout ByteReader, _ what: String, alphabet: Int, width: Int,
                           entries: Int) throws(CompressionError) -> EncodedStream {
        let encodingByte = try r.u8("\(what) encoding")
        let encoding: EncodedStream.Encoding
        let bitRange: ClosedRange<Int>
        switch encodingByte {
        case 0:
            encoding = .fixed(width: width)
            bitRange = (entries * width)...(entries * width)
        case 1:
            let lengths = try r.take(alphabet, "\(what) code lengths")
            do { _ = try HuffmanCode(lengths: lengths) } catch { throw r.fail("\(what): \(error)") }
            encoding = .huffman(lengths: lengths)
            bitRange = entries...(entries * HuffmanCode.maxLength)
        default:
            throw r.fail("\(what): unknown encoding \(encodingByte)")
        }
        let bitCount = try r.count("\(what) bit count", max: maxTensorValues * HuffmanCode.maxLength)
        guard bitRange.contains(bitCount) else {
            throw r.fail("\(what): \(bitCount) bits cannot hold \(entries) entries")
        }
        let bytes = try r.take((bitCount + 7) / 8, "\(what) data")
        return EncodedStream(encoding: encoding, bitCount: bitCount, bytes: bytes)
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
