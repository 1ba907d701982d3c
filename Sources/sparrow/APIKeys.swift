import FoundationEssentials

/// API keys from the environment or a file (a Docker or Kubernetes secret): one per line or
/// comma-separated, surrounding whitespace trimmed, empty entries ignored.
enum APIKeys {
    static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map(trim)
            .filter { !$0.isEmpty }
    }

    /// A key file that is missing, unreadable or holds no key is a startup error: a server that
    /// silently ran without the keys it was given would accept unauthenticated writes.
    static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the API key file \(path) (SPARROW_API_KEY_FILE / --api-key-file)")
        }
        let keys = parse(String(decoding: data, as: UTF8.self))
        guard !keys.isEmpty else { throw CLIError("the API key file \(path) holds no key") }
        return keys
    }

    private static func trim(_ s: Substring) -> String {
        String(s.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
