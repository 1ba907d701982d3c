/// Character classes of RFC 9110 §5.6.2 and §5.5.
enum HTTPSyntax {
    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let token: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(c)] = true }
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(c)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func isToken(_ c: UInt8) -> Bool { token[Int(c)] }

    /// field-vchar / SP / HTAB, obs-text allowed; CTLs (NUL, CR, LF, ...) and DEL are not.
    @inline(__always) static func isFieldValue(_ c: UInt8) -> Bool {
        c == 9 || (c >= 32 && c != 127)
    }

    /// Visible ASCII, as a request target may hold.
    @inline(__always) static func isTargetChar(_ c: UInt8) -> Bool { c > 32 && c < 127 }

    /// A Host field value (RFC 9112 §3.2, RFC 3986 §3.2.2): a registered name, an IPv4 address or a
    /// bracketed IPv6 literal, then an optional ":port" of digits. Empty is allowed (a target
    /// without authority). A comma is refused though reg-name allows it: in a field value it reads
    /// as a list, i.e. two hosts.
    static func isValidHost(_ value: String) -> Bool {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = host[host.index(after: host.startIndex)..<close]
            guard !literal.isEmpty, literal.utf8.allSatisfy({ isHexDigit($0) || $0 == 58 || $0 == 46 }) else { return false }
            host = host[host.index(after: close)...]
            guard host.isEmpty || host.hasPrefix(":") else { return false }
        } else {
            let end = host.firstIndex(of: ":") ?? host.endIndex
            guard host[..<end].utf8.allSatisfy(isRegNameChar) else { return false }
            host = host[end...]
        }
        if host.hasPrefix(":") { return host.dropFirst().utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        return host.isEmpty
    }

    private static func isHexDigit(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 102) }

    /// unreserved, pct-encoded's "%" and hex digits, and sub-delims but ",".
    private static func isRegNameChar(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122: return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default: return false
        }
    }
}
