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
}
