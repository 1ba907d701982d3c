#if canImport(Glibc)
import Glibc
#endif

/// Decodes request bodies sent with `Content-Encoding: gzip` or `deflate` before the handlers see
/// them, as Triton does for tritonclient's `request_compression_algorithm`. Any other coding
/// answers 415 with the codings accepted (RFC 9110 §8.4, §15.5.16); a corrupt body 400; one that
/// decodes past `limit` bytes 413, found while decoding rather than after.
///
/// The decoded body stays in memory up to the server's body threshold and is spooled to a file
/// beyond it, which this middleware deletes once the response exists (the server owns only the
/// file it spooled itself).
public struct RequestDecompression: HTTPMiddleware {
    public static let acceptedCodings = "gzip, deflate"
    let limit: Int
    let memoryThreshold: Int
    let spoolDirectory: String

    /// `limit` bounds the decoded size; the threshold and directory are those of the server's own
    /// request bodies (`HTTPConfiguration.bodyMemoryThreshold`, `spoolDirectory`).
    public init(limit: Int, configuration: HTTPConfiguration) {
        self.limit = limit
        memoryThreshold = configuration.bodyMemoryThreshold
        spoolDirectory = configuration.spoolDirectory
    }

    /// The content codings of a request, identity left out.
    public static func codings(_ headers: HTTPHeaders) -> [String] {
        headers.listValues(for: "Content-Encoding").map { $0.lowercased() }.filter { $0 != "identity" }
    }

    /// The 415 for codings this middleware cannot decode (anything but one of gzip, x-gzip and
    /// deflate), or nil; a server's `headCheck` can answer it before the body arrives.
    public static func refusal(of codings: [String]) -> HTTPError? {
        guard !codings.isEmpty, !(codings.count == 1 && ["gzip", "x-gzip", "deflate"].contains(codings[0])) else { return nil }
        var headers = HTTPHeaders()
        headers.set("Accept-Encoding", acceptedCodings)
        return HTTPError(.unsupportedMediaType, "Content-Encoding \(codings.joined(separator: ", ")) is not supported; "
                         + "send gzip, deflate or no coding", headers: headers)
    }

    public func respond(to request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        let codings = Self.codings(request.headers)
        guard !codings.isEmpty, request.body.count > 0 else { return try next(request) }
        if let refusal = Self.refusal(of: codings) { throw refusal }
        var spool = RequestBodySpool(threshold: memoryThreshold, directory: spoolDirectory)
        do {
            _ = try Gzip.inflate(request.body, limit: limit) { piece throws(HTTPError) in try spool.append(Array(piece)) }
        } catch let failure as Gzip.InflateFailure {
            spool.discard()
            throw failure == .tooLarge
                ? HTTPError(.contentTooLarge, "the request body decodes to more than \(limit) bytes")
                : HTTPError(.badRequest, "the request body is not valid \(codings[0]) data")
        } catch {
            spool.discard()
            throw error
        }
        var decoded = request
        decoded.body = spool.finish()
        decoded.headers.remove("Content-Encoding")
        decoded.headers.set("Content-Length", String(decoded.body.count))
        defer { if case .file(let path, _) = decoded.body { unlink(path) } }
        return try next(decoded)
    }
}
