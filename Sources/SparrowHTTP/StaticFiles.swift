import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Serves files under a root directory: `router.mount("/static/*", StaticFiles(root: dir))`.
/// The path comes from the route's `*` (or the whole path); `..`, encoded slashes and NULs are
/// refused, and the resolved real path must stay inside the root, so symlinks cannot lead out.
/// Directories serve their `index.html`. Ranges and ETags as in `HTTPResponse.file`.
public struct StaticFiles: HTTPResponder {
    public let root: String
    private let realRoot: String?

    public init(root: String) {
        self.root = root
        self.realRoot = StaticFiles.realPath(root)
    }

    public func respond(to request: HTTPRequest) throws -> HTTPResponse {
        guard let realRoot else { throw HTTPError(.notFound, "static root does not exist") }
        let raw = request.pathParameters["*"] ?? HTTPRequest.split(target: request.target).path
        guard let relative = Self.safeRelativePath(raw) else { throw HTTPError(.forbidden, "path not allowed") }
        var candidate = relative.isEmpty ? realRoot : realRoot + "/" + relative
        var isDirectory = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory {
            candidate += "/index.html"
        } else if request.path.hasSuffix("/") && request.path != "/" {
            throw HTTPError(.notFound, "file not found")  // "a.html/" names a directory, and there is none
        }
        guard let real = Self.realPath(candidate) else { throw HTTPError(.notFound, "file not found") }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw HTTPError(.forbidden, "path not allowed")
        }
        return try .file(real, request: request)
    }

    /// Decodes each segment and refuses `.`/`..`, segments that decode to contain `/` or `\`,
    /// and NULs. Returns the cleaned relative path.
    static func safeRelativePath(_ raw: String) -> String? {
        var segments: [String] = []
        for piece in raw.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = PercentDecoding.decode(piece, plusAsSpace: false) else { return nil }
            if segment == "." || segment == ".." || segment.contains("/") || segment.contains("\\")
                || segment.contains("\0") { return nil }
            segments.append(segment)
        }
        return segments.joined(separator: "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
