/// gzip for responses: when the client accepts it, the type is compressible, the body is in
/// memory and over the threshold, and the handler did not encode it already.
extension HTTPResponse {
    mutating func compressIfAccepted(acceptEncoding: String?, configuration: CompressionConfiguration) {
        guard configuration.enabled, case .bytes(let bytes) = body else { return }
        guard Self.isCompressible(headers["Content-Type"]) else { return }
        headers.add("Vary", "Accept-Encoding")
        guard bytes.count >= configuration.minimumSize, !headers.contains("Content-Encoding"),
              status.code != 206, Self.acceptsGzip(acceptEncoding),
              let compressed = try? Gzip.compress(bytes, level: configuration.level),
              compressed.count < bytes.count else { return }
        body = .bytes(compressed)
        headers.set("Content-Encoding", "gzip")
        if let etag = headers["ETag"] { headers.set("ETag", Self.gzipETag(etag)) }
    }

    /// The validator of the gzip representation of the one tagged `etag`: a different
    /// representation needs a different one.
    static func gzipETag(_ etag: String) -> String { etag.hasSuffix("\"") ? String(etag.dropLast()) + "-gzip\"" : etag }

    static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingOWS().lowercasedASCII() else { return false }
        return type.hasPrefix("text/") || type == "application/json" || type == "application/javascript"
            || type == "application/xml" || type == "application/yaml" || type == "image/svg+xml" || type.hasSuffix("+json")
            || type.hasSuffix("+xml")
    }

    /// Accept-Encoding with q-values (RFC 9110 §12.5.3): gzip (or `*`) with q > 0, gzip not
    /// excluded by q=0.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Double?, star: Double?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let coding = parts.first?.trimmingOWS().lowercasedASCII() else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingOWS().lowercased() == "q" { q = Double(kv[1].trimmingOWS()) ?? 0 }
            }
            if coding == "gzip" || coding == "x-gzip" { gzip = q } else if coding == "*" { star = q }
        }
        if let gzip { return gzip > 0 }
        return (star ?? 0) > 0
    }
}
