/// NumPy `.npz` archives: a zip of `.npy` members, one per array (`x.npy` holds array `x`).
///
/// Reading handles stored and deflated members, zip64 sizes and offsets (NumPy writes zip64 local
/// headers), and checks each member's CRC-32. Sizes come from the central directory, so members
/// written with data descriptors are read too. Writing produces a plain zip (no zip64): members
/// in name order, stored or deflated.
public enum NPZ {
    static let localSignature = 0x0403_4b50
    static let centralSignature = 0x0201_4b50
    static let endSignature = 0x0605_4b50
    static let zip64EndSignature = 0x0606_4b50
    static let zip64LocatorSignature = 0x0706_4b50

    struct Member {
        let name: String
        let method: Int
        let flags: Int
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localOffset: Int
    }

    /// Parses `.npz` bytes into arrays keyed by name (the member name without `.npy`).
    public static func decode(_ bytes: [UInt8]) throws -> [String: Tensor] {
        let r = ByteReader(bytes: bytes, what: ".npz archive")
        var arrays: [String: Tensor] = [:]
        for m in try centralDirectory(r) {
            guard m.name.hasSuffix(".npy") else { continue }
            let key = String(m.name.dropLast(4))
            guard arrays[key] == nil else { throw ModelError(.malformed, ".npz has array '\(key)' twice") }
            let data = try memberData(r, m)
            do {
                arrays[key] = try NPY.decode(data)
            } catch let error as ModelError {
                throw ModelError(error.kind, ".npz member '\(m.name)': \(error.message)")
            }
        }
        return arrays
    }

    static func centralDirectory(_ r: ByteReader) throws -> [Member] {
        let bytes = r.bytes
        guard bytes.count >= 22 else { throw ModelError(.malformed, "not a .npz (zip) archive: too short") }
        // The end record is the last 22 bytes plus an optional comment of up to 65535 bytes.
        var end = -1
        var p = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while p >= lowest {
            if bytes[p] == 0x50, bytes[p + 1] == 0x4b, bytes[p + 2] == 0x05, bytes[p + 3] == 0x06 { end = p; break }
            p -= 1
        }
        guard end >= 0 else { throw ModelError(.malformed, "not a .npz (zip) archive: no end-of-central-directory record") }
        var entries = try r.u16(end + 10)
        var cdSize = try r.u32(end + 12)
        var cdOffset = try r.u32(end + 16)
        if entries == 0xffff || cdSize == 0xffff_ffff || cdOffset == 0xffff_ffff {
            let locator = end - 20
            guard locator >= 0, try r.u32(locator) == zip64LocatorSignature else {
                throw ModelError(.malformed, ".npz archive: zip64 end record locator missing")
            }
            let end64 = try r.u64(locator + 8)
            guard try r.u32(end64) == zip64EndSignature else {
                throw ModelError(.malformed, ".npz archive: bad zip64 end record")
            }
            entries = try r.u64(end64 + 32)
            cdSize = try r.u64(end64 + 40)
            cdOffset = try r.u64(end64 + 48)
        }
        try r.require(cdOffset, cdSize)
        // Each central entry takes at least 46 bytes, which bounds `entries` by the file size.
        guard entries <= cdSize / 46 else {
            throw ModelError(.malformed, ".npz archive claims \(entries) members in a \(cdSize)-byte directory")
        }
        var members: [Member] = []
        var q = cdOffset
        for _ in 0..<entries {
            guard try r.u32(q) == centralSignature else {
                throw ModelError(.malformed, ".npz archive: bad central directory entry at offset \(q)")
            }
            let flags = try r.u16(q + 8)
            let method = try r.u16(q + 10)
            let crc = UInt32(try r.u32(q + 16))
            var compressed = try r.u32(q + 20)
            var size = try r.u32(q + 24)
            let nameLength = try r.u16(q + 28)
            let extraLength = try r.u16(q + 30)
            let commentLength = try r.u16(q + 32)
            var localOffset = try r.u32(q + 42)
            let nameBytes = try r.slice(q + 46, nameLength)
            let name = String(decoding: nameBytes, as: UTF8.self)
            // zip64 extra field (id 1): 8-byte values for whichever 32-bit fields are saturated, in order.
            var e = q + 46 + nameLength
            let extraEnd = e + extraLength
            try r.require(e, extraLength)
            while e + 4 <= extraEnd {
                let id = try r.u16(e)
                let length = try r.u16(e + 2)
                guard e + 4 + length <= extraEnd else { throw ModelError(.malformed, ".npz member '\(name)': bad extra field") }
                if id == 1 {
                    var f = e + 4
                    func next() throws -> Int {
                        guard f + 8 <= e + 4 + length else {
                            throw ModelError(.malformed, ".npz member '\(name)': short zip64 extra field")
                        }
                        defer { f += 8 }
                        return try r.u64(f)
                    }
                    if size == 0xffff_ffff { size = try next() }
                    if compressed == 0xffff_ffff { compressed = try next() }
                    if localOffset == 0xffff_ffff { localOffset = try next() }
                }
                e += 4 + length
            }
            members.append(Member(name: name, method: method, flags: flags, crc: crc, compressedSize: compressed,
                                  size: size, localOffset: localOffset))
            q = extraEnd + commentLength
        }
        return members
    }

    static func memberData(_ r: ByteReader, _ m: Member) throws -> [UInt8] {
        guard m.flags & 1 == 0 else { throw ModelError(.unsupported, ".npz member '\(m.name)' is encrypted") }
        guard try r.u32(m.localOffset) == localSignature else {
            throw ModelError(.malformed, ".npz member '\(m.name)': bad local header at offset \(m.localOffset)")
        }
        let start = m.localOffset + 30 + (try r.u16(m.localOffset + 26)) + (try r.u16(m.localOffset + 28))
        let stored = try r.slice(start, m.compressedSize)
        let data: [UInt8]
        switch m.method {
        case 0:
            guard m.compressedSize == m.size else {
                throw ModelError(.malformed, ".npz member '\(m.name)': stored sizes differ")
            }
            data = Array(stored)
        case 8:
            // Deflate cannot expand by more than ~1032×; a larger claimed size is corrupt.
            guard m.size <= m.compressedSize.multipliedReportingOverflow(by: 1032).partialValue + 64 else {
                throw ModelError(.malformed, ".npz member '\(m.name)' claims an impossible size \(m.size)")
            }
            do {
                data = try Zlib.inflateRaw(Array(stored), expectedSize: m.size)
            } catch let error as ModelError {
                throw ModelError(error.kind, ".npz member '\(m.name)': \(error.message)")
            }
        default:
            throw ModelError(.unsupported, ".npz member '\(m.name)' uses compression method \(m.method) (only stored and deflate are supported)")
        }
        guard Zlib.crc32(data) == m.crc else {
            throw ModelError(.malformed, ".npz member '\(m.name)': CRC-32 mismatch (corrupt archive)")
        }
        return data
    }

    /// Serializes arrays as an `.npz` archive, members in name order, each in its `elementTypes`
    /// entry when it has one.
    public static func encode(_ arrays: [String: Tensor], elementTypes: [String: ElementType] = [:],
                              compressed: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le(_ v: Int, _ width: Int, into buf: inout [UInt8]) {
            for k in 0..<width { buf.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
        }
        let sorted = arrays.sorted { $0.key < $1.key }
        guard sorted.count < 0xffff else { throw ModelError(.unsupported, ".npz writing: too many arrays for a zip without zip64") }
        for (key, tensor) in sorted {
            let name = Array((key + ".npy").utf8)
            guard name.count < 0xffff else { throw ModelError(.invalid, ".npz writing: array name too long") }
            let raw = NPY.encode(tensor, as: elementTypes[key])
            let body = compressed ? try Zlib.deflateRaw(raw) : raw
            let offset = out.count
            guard raw.count < 0xffff_ffff, body.count < 0xffff_ffff, offset < 0xffff_ffff else {
                throw ModelError(.unsupported, ".npz writing: array '\(key)' is too large for a zip without zip64 (4 GiB)")
            }
            let crc = Int(Zlib.crc32(raw))
            let method = compressed ? 8 : 0
            // Shared fields: version needed 2.0, flags 0 (UTF-8 names are ASCII here), method, DOS time/date 1980-01-01.
            var common: [UInt8] = []
            le(20, 2, into: &common); le(0, 2, into: &common); le(method, 2, into: &common)
            le(0, 2, into: &common); le(0x21, 2, into: &common)
            le(crc, 4, into: &common); le(body.count, 4, into: &common); le(raw.count, 4, into: &common)
            le(name.count, 2, into: &common); le(0, 2, into: &common)

            le(localSignature, 4, into: &out)
            out += common + name + body

            le(centralSignature, 4, into: &central)
            le(20, 2, into: &central)  // version made by
            central += common
            le(0, 2, into: &central); le(0, 2, into: &central); le(0, 2, into: &central)  // comment, disk, internal attrs
            le(0, 4, into: &central)  // external attrs
            le(offset, 4, into: &central)
            central += name
        }
        let cdOffset = out.count
        guard cdOffset < 0xffff_ffff else { throw ModelError(.unsupported, ".npz writing: archive exceeds 4 GiB") }
        out += central
        le(endSignature, 4, into: &out)
        le(0, 2, into: &out); le(0, 2, into: &out)
        le(sorted.count, 2, into: &out); le(sorted.count, 2, into: &out)
        le(central.count, 4, into: &out); le(cdOffset, 4, into: &out)
        le(0, 2, into: &out)
        return out
    }

    public static func read(path: String) throws -> [String: Tensor] {
        try FileIO.decode(path, with: decode)
    }

    public static func write(_ arrays: [String: Tensor], elementTypes: [String: ElementType] = [:], to path: String,
                             compressed: Bool = false) throws {
        try FileIO.write(encode(arrays, elementTypes: elementTypes, compressed: compressed), to: path)
    }
}
