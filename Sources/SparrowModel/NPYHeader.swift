/// The Python-literal dictionary at the start of a `.npy` file, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// A small recursive-descent parser for the literals NumPy writes (strings, booleans, integers,
/// tuples, lists, dicts); anything else is a malformed header.
struct NPYHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]

    indirect enum Literal {
        case string(String), bool(Bool), int(Int), sequence([Literal]), dict([String: Literal]), none
    }

    init(_ text: String) throws {
        var parser = Parser(chars: Array(text))
        guard case .dict(let entries) = try parser.value(depth: 0) else {
            throw ModelError(.malformed, ".npy header is not a dictionary")
        }
        guard case .string(let descr)? = entries["descr"] else {
            if case .sequence? = entries["descr"] {
                throw ModelError(.unsupported, "structured .npy arrays are not supported")
            }
            throw ModelError(.malformed, ".npy header has no 'descr' string")
        }
        guard case .bool(let fortran)? = entries["fortran_order"] else {
            throw ModelError(.malformed, ".npy header has no 'fortran_order' boolean")
        }
        guard case .sequence(let dims)? = entries["shape"] else {
            throw ModelError(.malformed, ".npy header has no 'shape' tuple")
        }
        self.shape = try dims.map {
            guard case .int(let d) = $0, d >= 0 else {
                throw ModelError(.malformed, ".npy header shape must hold non-negative integers")
            }
            return d
        }
        self.descr = descr
        self.fortranOrder = fortran
    }

    struct Parser {
        let chars: [Character]
        var i = 0

        func fail(_ what: String) -> ModelError {
            ModelError(.malformed, ".npy header: \(what) at character \(i)")
        }

        mutating func skipSpace() {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
        }

        mutating func expect(_ c: Character) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)'") }
            i += 1
        }

        mutating func value(depth: Int) throws -> Literal {
            guard depth < 16 else { throw fail("nesting too deep") }
            skipSpace()
            guard i < chars.count else { throw fail("unexpected end") }
            let c = chars[i]
            switch c {
            case "'", "\"":
                i += 1
                var s = ""
                while i < chars.count, chars[i] != c {
                    s.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw fail("unterminated string") }
                i += 1
                return .string(s)
            case "{":
                i += 1
                var entries: [String: Literal] = [:]
                while true {
                    skipSpace()
                    if i < chars.count, chars[i] == "}" { i += 1; return .dict(entries) }
                    guard case .string(let key) = try value(depth: depth + 1) else { throw fail("dictionary key must be a string") }
                    try expect(":")
                    entries[key] = try value(depth: depth + 1)
                    skipSpace()
                    if i < chars.count, chars[i] == "," { i += 1; continue }
                    try expect("}")
                    return .dict(entries)
                }
            case "(", "[":
                let close: Character = c == "(" ? ")" : "]"
                i += 1
                var items: [Literal] = []
                while true {
                    skipSpace()
                    if i < chars.count, chars[i] == close { i += 1; return .sequence(items) }
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if i < chars.count, chars[i] == "," { i += 1; continue }
                    try expect(close)
                    return .sequence(items)
                }
            default:
                var word = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" {
                    word.append(chars[i])
                    i += 1
                }
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default:
                    // Python 2 era headers may write longs as 3L.
                    let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                    guard let n = Int(digits) else { throw fail("unexpected '\(word.isEmpty ? String(c) : word)'") }
                    return .int(n)
                }
            }
        }
    }
}
