import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// File responses with validators and byte ranges (RFC 9110 §13, §14).
extension HTTPResponse {
    /// Files of a compressible type up to this size are answered from memory, so that the server's
    /// gzip applies to them (larger ones are sent from the file as they are).
    public static let maxCompressibleFileSize = 1 << 20

    /// The file at `path` as a response to `request`: ETag and Last-Modified; the preconditions of
    /// RFC 9110 §13.2.2 (412 for a failed If-Match or If-Unmodified-Since, 304 for a matching
    /// If-None-Match or an unchanged If-Modified-Since); 206 for a single satisfiable
    /// `Range: bytes=...`, 416 for an unsatisfiable one; several ranges are answered with the whole
    /// file. Throws 404 if it is not a regular file.
    public static func file(_ path: String, request: HTTPRequest, contentType: String? = nil) throws -> HTTPResponse {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HTTPError(.notFound, "file not found")
        }
        let size = Int(info.st_size)
        let etag = "\"\(String(size, radix: 16))-\(String(Int(info.st_mtim.tv_sec), radix: 16))\""
        var headers: HTTPHeaders = [
            "Content-Type": contentType ?? MediaType.forPath(path),
            "ETag": etag,
            "Last-Modified": HTTPDate.format(Int(info.st_mtim.tv_sec)),
            "Accept-Ranges": "bytes",
        ]
        let modified = Int(info.st_mtim.tv_sec)
        if let im = request.headers["If-Match"] {
            let tags = im.split(separator: ",").map { $0.trimmingOWS() }
            // Strong comparison: a weak tag never matches (RFC 9110 §13.1.1).
            guard tags == ["*"] || tags.contains(where: { $0 == etag || $0 == gzipETag(etag) }) else {
                return .error(.preconditionFailed, "If-Match: the file's ETag is \(etag)")
            }
        } else if let ius = request.headers["If-Unmodified-Since"].flatMap(HTTPDate.parse), modified > ius {
            return .error(.preconditionFailed, "If-Unmodified-Since: the file changed after that")
        }
        let isRead = request.method == .get || request.method == .head
        // Files answered from memory may go out gzipped (see compressIfAccepted): the representation
        // this request would get decides which ETag a 304 compares with and carries.
        let inMemory = size <= maxCompressibleFileSize && isCompressible(headers["Content-Type"])
        let gzipped = inMemory && acceptsGzip(request.headers["Accept-Encoding"])
            && size >= CompressionConfiguration().minimumSize
        let current = gzipped ? gzipETag(etag) : etag
        func notModified() -> HTTPResponse {
            var validators = headers
            validators.set("ETag", current)
            if inMemory { validators.set("Vary", "Accept-Encoding") }
            return HTTPResponse(status: .notModified, headers: validators)
        }
        if let inm = request.headers["If-None-Match"] {
            let tags = inm.split(separator: ",").map { $0.trimmingOWS() }
            if tags == ["*"] || tags.contains(where: { ($0.hasPrefix("W/") ? String($0.dropFirst(2)) : $0) == current }) {
                guard isRead else { return .error(.preconditionFailed, "If-None-Match: the file's ETag matches") }
                return notModified()
            }
        } else if isRead, let ims = request.headers["If-Modified-Since"].flatMap(HTTPDate.parse), modified <= ims {
            return notModified()
        }
        // If-Range with another validator means "send everything".
        let ifRangeOK = request.headers["If-Range"].map { $0.trimmingOWS() == etag } ?? true
        if let range = request.headers["Range"], ifRangeOK, request.method == .get || request.method == .head {
            switch ByteRange.parse(range, size: size) {
            case .single(let lower, let upper):
                headers.set("Content-Range", "bytes \(lower)-\(upper)/\(size)")
                return HTTPResponse(status: .partialContent, headers: headers,
                                    body: .file(path: path, offset: lower, length: upper - lower + 1))
            case .unsatisfiable:
                var response = HTTPResponse.error(.rangeNotSatisfiable, "range not satisfiable")
                response.headers.set("Content-Range", "bytes */\(size)")
                return response
            case .ignore:
                break
            }
        }
        if inMemory, let data = FileManager.default.contents(atPath: path), data.count == size {
            // compressIfAccepted adds the -gzip suffix and Vary when it compresses.
            return HTTPResponse(status: .ok, headers: headers, body: .bytes([UInt8](data)))
        }
        return HTTPResponse(status: .ok, headers: headers, body: .file(path: path, offset: 0, length: size))
    }

}

/// A `Range` header for `bytes` of a representation of known size.
enum ByteRange: Equatable {
    case single(Int, Int)
    case unsatisfiable
    /// Not a bytes range, malformed, or several ranges: serve the whole representation.
    case ignore

    static func parse(_ header: String, size: Int) -> ByteRange {
        let header = header.trimmingOWS()
        guard header.lowercased().hasPrefix("bytes=") else { return .ignore }
        let specs = header.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count == 1 else { return .ignore }
        let spec = specs[0].trimmingOWS()
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else { return .ignore }
        let first = bounds[0].trimmingOWS(), last = bounds[1].trimmingOWS()
        func number(_ s: String) -> Int? {
            guard !s.isEmpty, s.count <= 18, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(s)
        }
        if first.isEmpty {
            guard let suffix = number(last) else { return .ignore }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .single(max(0, size - suffix), size - 1)
        }
        guard let lower = number(first) else { return .ignore }
        var upper = size - 1
        if !last.isEmpty {
            guard let u = number(last), u >= lower else { return .ignore }
            upper = min(u, size - 1)
        }
        guard lower < size else { return .unsatisfiable }
        return .single(lower, upper)
    }
}

/// Content types by file extension, for static files and artifacts.
public enum MediaType {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "application/javascript", "mjs": "application/javascript", "json": "application/json",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "ico": "image/x-icon", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "wasm": "application/wasm", "onnx": "application/octet-stream", "pdf": "application/pdf",
        "xml": "application/xml", "csv": "text/csv; charset=utf-8", "woff2": "font/woff2",
        "yaml": "application/yaml", "yml": "application/yaml",
    ]

    public static func forPath(_ path: String) -> String {
        // The last component's suffix after its last dot; a leading dot (".profile") is no extension.
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last ?? ""
        let ext = name.lastIndex(of: ".").map { $0 == name.startIndex ? "" : String(name[name.index(after: $0)...]) }?
            .lowercased() ?? ""
        return byExtension[ext] ?? "application/octet-stream"
    }
}
