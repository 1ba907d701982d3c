#if canImport(Glibc)
import Glibc
#endif

public enum MultipartError: Error, Equatable, CustomStringConvertible {
    case missingBoundary
    case invalidBoundary
    case malformed(String)
    case truncated

    public var description: String {
        switch self {
        case .missingBoundary: return "multipart/form-data needs a boundary parameter"
        case .invalidBoundary: return "the multipart boundary must be 1 to 70 characters"
        case .malformed(let why): return "malformed multipart body: \(why)"
        case .truncated: return "the multipart body ends before its closing boundary"
        }
    }
}

/// What the parser reports as it reads a multipart/form-data body.
public enum MultipartEvent {
    /// A part starts; `name` and `filename` come from its Content-Disposition.
    case begin(name: String?, filename: String?, contentType: String?)
    /// Bytes of the current part's content, valid only during the call.
    case data(UnsafeRawBufferPointer)
    case end
}

/// A streaming multipart/form-data parser (RFC 7578): bytes go in as they arrive, part content
/// comes out without being held whole in memory, so a large file field can stream to disk.
public struct MultipartParser {
    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    private let delimiter: [UInt8]  // CRLF "--" boundary
    private var buffer: [UInt8]
    private var start = 0
    private var state = State.preamble
    static let maxHeaderBytes = 16 * 1024

    /// The boundary parameter of a `multipart/form-data` Content-Type, or throws.
    public static func boundary(fromContentType contentType: String) throws(MultipartError) -> String {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingSpaces()
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { throw .invalidBoundary }
            return value
        }
        throw .missingBoundary
    }

    public init(boundary: String) throws(MultipartError) {
        guard (1...70).contains(boundary.utf8.count) else { throw .invalidBoundary }
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary has no CRLF before it; pretend it had one.
        buffer = [13, 10]
    }

    /// True once the closing boundary was read.
    public var isComplete: Bool { state == .epilogue }

    /// Consumes bytes, reporting events to `handler`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handler: (MultipartEvent) throws -> Void) throws {
        if state == .epilogue { return }
        buffer.append(contentsOf: bytes)
        try process(handler)
        if start > 64 * 1024 || start == buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
    }

    public mutating func feed(_ bytes: [UInt8], _ handler: (MultipartEvent) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, handler) }
    }

    /// Call after the last byte: throws unless the closing boundary was seen.
    public func finish() throws(MultipartError) {
        guard state == .epilogue else { throw .truncated }
    }

    private mutating func process(_ handler: (MultipartEvent) throws -> Void) throws {
        while true {
            switch state {
            case .preamble:
                guard let at = find(delimiter) else {
                    // Keep only what could still begin a delimiter.
                    start = max(start, buffer.count - (delimiter.count - 1))
                    return
                }
                start = at + delimiter.count
                state = .afterDelimiter
            case .afterDelimiter:
                guard buffer.count - start >= 2 else { return }
                if buffer[start] == 45 && buffer[start + 1] == 45 {  // "--": closing boundary
                    state = .epilogue
                    return
                }
                // Transport padding (spaces, tabs) may precede the CRLF.
                var i = start
                while i < buffer.count && (buffer[i] == 32 || buffer[i] == 9) { i += 1 }
                guard buffer.count - i >= 2 else { return }
                guard buffer[i] == 13 && buffer[i + 1] == 10 else { throw MultipartError.malformed("no line break after a boundary") }
                start = i + 2
                state = .headers
            case .headers:
                // A part with no headers has its blank line right away.
                let noHeaders = buffer.count - start >= 2 && buffer[start] == 13 && buffer[start + 1] == 10
                guard let end = noHeaders ? start - 2 : find([13, 10, 13, 10]) else {
                    if buffer.count - start > MultipartParser.maxHeaderBytes { throw MultipartError.malformed("part headers too long") }
                    return
                }
                let text = end >= start ? String(decoding: buffer[start..<end], as: UTF8.self) : ""
                let headers = try MultipartParser.parseHeaders(text)
                start = end + 4
                state = .body
                try handler(.begin(name: headers.name, filename: headers.filename, contentType: headers.contentType))
            case .body:
                if let at = find(delimiter) {
                    if at > start { try emit(start..<at, handler) }
                    try handler(.end)
                    start = at + delimiter.count
                    state = .afterDelimiter
                } else {
                    let safeEnd = buffer.count - (delimiter.count - 1)
                    if safeEnd > start {
                        try emit(start..<safeEnd, handler)
                        start = safeEnd
                    }
                    return
                }
            case .epilogue:
                return
            }
        }
    }

    private func emit(_ range: Range<Int>, _ handler: (MultipartEvent) throws -> Void) throws {
        try buffer.withUnsafeBytes { raw in
            try handler(.data(UnsafeRawBufferPointer(rebasing: raw[range])))
        }
    }

    /// Index of the first occurrence of `needle` at or after `start`.
    private func find(_ needle: [UInt8]) -> Int? {
        let haystackCount = buffer.count - start
        guard haystackCount >= needle.count else { return nil }
        return buffer.withUnsafeBytes { hay -> Int? in
            let base = hay.baseAddress!
            let first = Int32(needle[0])
            var i = start
            let last = buffer.count - needle.count
            while i <= last {
                guard let p = memchr(base + i, first, last - i + 1) else { return nil }
                let at = UnsafeRawPointer(p) - base
                if needle.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, needle.count) }) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }

    struct PartHeaders {
        var name: String?
        var filename: String?
        var contentType: String?
    }

    static func parseHeaders(_ text: String) throws(MultipartError) -> PartHeaders {
        var result = PartHeaders()
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("part header without a colon") }
            let field = line[..<colon].trimmingSpaces().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            switch field {
            case "content-disposition":
                for parameter in value.split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2 else { continue }
                    var v = pair[1].trimmingSpaces()
                    if v.hasPrefix("\"") && v.hasSuffix("\"") && v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                    switch pair[0].trimmingSpaces().lowercased() {
                    case "name": result.name = v
                    case "filename": result.filename = v
                    default: break
                    }
                }
            case "content-type": result.contentType = value
            default: break
            }
        }
        return result
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
