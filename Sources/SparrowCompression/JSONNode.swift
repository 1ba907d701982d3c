#if canImport(Glibc)
import Glibc
#endif

/// A parsed JSON value. Inference requests carry thousands of numbers; this parser keeps them as
/// plain values (Foundation's JSONSerialization boxes each one in an NSNumber, which dominated the
/// cost of a JSON inference request).
public indirect enum JSONNode: Equatable, Sendable {
    case null
    case bool(Bool)
    /// `integer` is set when the literal had no fraction or exponent and fits Int64.
    case number(Double, integer: Int64?)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])

    public struct SyntaxError: Error, Equatable {
        public let offset: Int
        public let message: String
    }

    /// Deeper nesting is refused, so hostile input cannot exhaust the stack.
    public static let maxDepth = 64

    /// Parses UTF-8 JSON text. A leading byte order mark is skipped (RFC 8259 allows a parser to);
    /// an object that names a key twice is an error, since readers disagree on which one counts.
    /// With `nonFiniteNumbers`, `NaN`, `Infinity`, `-Infinity`, `Inf` and `-Inf` are read as numbers,
    /// as Triton's parser (rapidjson's kParseNanAndInfFlag) reads them in inference requests.
    public static func parse(_ bytes: UnsafeRawBufferPointer, nonFiniteNumbers: Bool = false) throws(SyntaxError) -> JSONNode {
        var parser = Parser(bytes: bytes, nonFiniteNumbers: nonFiniteNumbers)
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { parser.position = 3 }
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8], nonFiniteNumbers: Bool = false) throws(SyntaxError) -> JSONNode {
        do {
            return try bytes.withUnsafeBytes { raw in try parse(raw, nonFiniteNumbers: nonFiniteNumbers) }
        } catch let error as SyntaxError {
            throw error
        } catch {
            throw SyntaxError(offset: 0, message: "\(error)")
        }
    }

    public subscript(key: String) -> JSONNode? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        let nonFiniteNumbers: Bool
        var position = 0

        func error(_ message: String) -> SyntaxError { SyntaxError(offset: position, message: message) }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0a, 0x0d: position += 1
                default: return
                }
            }
        }

        mutating func expect(_ literal: StaticString) throws(SyntaxError) {
            let n = literal.utf8CodeUnitCount
            guard position + n <= bytes.count,
                  memcmp(bytes.baseAddress! + position, literal.utf8Start, n) == 0 else { throw error("invalid literal") }
            position += n
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONNode {
            guard depth < JSONNode.maxDepth else { throw error("nesting deeper than \(JSONNode.maxDepth)") }
            guard let c = current else { throw error("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"):
                position += 1
                var fields: [String: JSONNode] = [:]
                skipSpace()
                if current == UInt8(ascii: "}") { position += 1; return .object(fields) }
                while true {
                    skipSpace()
                    guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let keyOffset = position
                    let key = try string()
                    guard fields[key] == nil else {
                        throw SyntaxError(offset: keyOffset, message: "duplicate key \"\(key)\"")
                    }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
                    position += 1
                    skipSpace()
                    fields[key] = try value(depth: depth + 1)
                    skipSpace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    if current == UInt8(ascii: "}") { position += 1; return .object(fields) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                position += 1
                var items: [JSONNode] = []
                skipSpace()
                if current == UInt8(ascii: "]") { position += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    if current == UInt8(ascii: "]") { position += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "N") where nonFiniteNumbers: try expect("NaN"); return .number(.nan, integer: nil)
            case UInt8(ascii: "I") where nonFiniteNumbers: return .number(try infinity(), integer: nil)
            case UInt8(ascii: "-") where nonFiniteNumbers && position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "I"):
                position += 1
                return .number(-(try infinity()), integer: nil)
            default: return try number()
            }
        }

        /// `Infinity` or `Inf`.
        mutating func infinity() throws(SyntaxError) -> Double {
            try expect("Inf")
            let rest: StaticString = "inity"
            if position + 5 <= bytes.count, memcmp(bytes.baseAddress! + position, rest.utf8Start, 5) == 0 { position += 5 }
            return .infinity
        }

        mutating func number() throws(SyntaxError) -> JSONNode {
            let start = position
            var isInteger = true
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, first >= 48, first <= 57 else { throw error("invalid value") }
            if first == 48 { position += 1 } else { while let d = current, d >= 48, d <= 57 { position += 1 } }
            if current == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard let d = current, d >= 48, d <= 57 else { throw error("digits must follow '.'") }
                while let d = current, d >= 48, d <= 57 { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard let d = current, d >= 48, d <= 57 else { throw error("digits must follow the exponent") }
                while let d = current, d >= 48, d <= 57 { position += 1 }
            }
            let length = position - start
            guard length < 64 else { throw error("number literal too long") }
            // strtod needs a terminated string: copy the literal to a small buffer.
            var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            let value = withUnsafeMutableBytes(of: &buffer) { raw -> Double in
                raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
                return strtod(raw.baseAddress!.assumingMemoryBound(to: CChar.self), nil)
            }
            var integer: Int64?
            if isInteger {
                // Accumulated with the literal's sign, so Int64.min (whose magnitude Int64 cannot
                // hold) parses like every other value.
                let negative = bytes[start] == UInt8(ascii: "-")
                var v: Int64 = 0
                var ok = true
                for i in (negative ? start + 1 : start)..<position {
                    let digit = Int64(bytes[i] - 48)
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
                    if o1 || o2 { ok = false; break }
                    v = s
                }
                if ok { integer = v }
            }
            return .number(value, integer: integer)
        }

        mutating func string() throws(SyntaxError) -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard let c = current else { throw error("unterminated string") }
                position += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard let e = current else { throw error("unterminated escape") }
                    position += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xd800..<0xdc00).contains(scalar) {
                            // A high surrogate must be followed by an escaped low one.
                            guard current == UInt8(ascii: "\\") else { throw error("lone surrogate") }
                            position += 1
                            guard current == UInt8(ascii: "u") else { throw error("lone surrogate") }
                            position += 1
                            let low = try hex4()
                            guard (0xdc00..<0xe000).contains(low) else { throw error("invalid surrogate pair") }
                            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: throw error("invalid escape")
                    }
                case 0..<0x20: throw error("control character in string")
                default: out.append(c)
                }
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[position]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw error("invalid \\u escape")
                }
                v = v << 4 | d
                position += 1
            }
            return v
        }
    }
}
