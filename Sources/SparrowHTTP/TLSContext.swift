import COpenSSL

/// Why TLS could not be set up.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { "TLS: \(message)" }

    /// `what`, followed by OpenSSL's queued error reasons.
    static func openSSL(_ what: String) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(message: reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))")
    }
}

/// A server SSL_CTX: certificate chain and key, TLS 1.2 and 1.3 only, ALPN "http/1.1".
final class TLSContext: @unchecked Sendable {
    // Immutable after init; OpenSSL's SSL_CTX is safe to share for creating connections.
    let context: OpaquePointer

    init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .openSSL("SSL_CTX_new failed") }
        context = ctx
        guard sparrow_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1,
              sparrow_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 else {
            throw .openSSL("cannot restrict protocol versions")
        }
        // Writes may be partial and retried from a moved buffer: the connection's output queue
        // hands out slices of its own storage.
        _ = sparrow_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificatePath) == 1 else {
            throw .openSSL("cannot load certificate \(configuration.certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .openSSL("cannot load private key \(configuration.privateKeyPath)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .openSSL("private key does not match the certificate")
        }
        sparrow_SSL_CTX_use_http11_alpn(ctx)
    }

    deinit { SSL_CTX_free(context) }
}
