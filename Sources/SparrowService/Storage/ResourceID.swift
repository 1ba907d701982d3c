import FoundationEssentials

/// The kinds of resources the service names, each with its id prefix.
public enum ResourceKind: String, Sendable, CaseIterable {
    case model = "mdl"
    case dataset = "ds"
    case job = "job"
    case artifact = "art"
}

/// Resource ids: a kind prefix, an underscore and 20 lowercase hex digits (80 random bits).
///
/// Ids arrive in URLs; only strings that match this exact pattern are ever looked up, and none is
/// ever used as a file path (files are addressed by digest).
public enum ResourceID {
    static let hexDigits = 20

    public static func make(_ kind: ResourceKind) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: hexDigits / 2)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        return kind.rawValue + "_" + SHA256Hasher.hex(bytes)
    }

    /// True when `id` is a well-formed id of `kind`.
    public static func isValid(_ id: String, kind: ResourceKind) -> Bool {
        let prefix = kind.rawValue + "_"
        guard id.hasPrefix(prefix) else { return false }
        let rest = id.utf8.dropFirst(prefix.utf8.count)
        return rest.count == hexDigits && rest.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// True when `name` is an acceptable model or dataset name: 1–64 characters of letters,
    /// digits, `.`, `_`, `-`, starting with a letter or digit (so it is safe in a URL path).
    public static func isValidName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (1...64).contains(u.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        return alnum(u[0]) && u.allSatisfy { alnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }
}
