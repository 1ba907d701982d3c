import FoundationEssentials

/// A JSON document as a tree, so configuration can be validated strictly (unknown keys, types,
/// ranges) with the JSON path of every error, which Codable's synthesized decoding cannot do.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9e15 { try c.encode(Int64(d)) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses UTF-8 JSON text with JSONNode's strict parser: a key given twice is an error, where
    /// Foundation's decoder kept one of them silently (and the service's record showed the other).
    public static func parse(_ bytes: [UInt8]) throws(CompressionError) -> JSONValue {
        do { return JSONValue(try JSONNode.parse(bytes)) } catch {
            throw .invalidConfig(path: "$", message: "not valid JSON (\(error.message) at byte \(error.offset))")
        }
    }

    init(_ node: JSONNode) {
        switch node {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let d, _): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .object(let fields): self = .object(fields.mapValues(JSONValue.init))
        }
    }

    /// Compact JSON with sorted keys (deterministic bytes).
    public func serialized() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? [UInt8](encoder.encode(self))) ?? Array("null".utf8)
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Strict readers over a JSON object: each access records the key, `finish` rejects the rest.
struct StrictObject {
    let path: String
    let fields: [String: JSONValue]

    init(_ value: JSONValue, path: String) throws(CompressionError) {
        guard case .object(let fields) = value else {
            throw .invalidConfig(path: path, message: "expected an object, got \(value.typeName)")
        }
        self.path = path
        self.fields = fields
    }

    func rejectUnknown(allowed: Set<String>) throws(CompressionError) {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw .invalidConfig(path: "\(path).\(key)", message: "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    func number(_ key: String, in range: ClosedRange<Double>, openUpper: Bool = false) throws(CompressionError) -> Double? {
        guard let v = value(key) else { return nil }
        return try StrictObject.number(v, path: "\(path).\(key)", in: range, openUpper: openUpper)
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(CompressionError) -> Int? {
        guard let v = value(key) else { return nil }
        return try StrictObject.integer(v, path: "\(path).\(key)", in: range)
    }

    func string(_ key: String) throws(CompressionError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else {
            throw .invalidConfig(path: "\(path).\(key)", message: "expected a string, got \(v.typeName)")
        }
        return s
    }

    func bool(_ key: String) throws(CompressionError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else {
            throw .invalidConfig(path: "\(path).\(key)", message: "expected true or false, got \(v.typeName)")
        }
        return b
    }

    static func number(_ v: JSONValue, path: String, in range: ClosedRange<Double>, openUpper: Bool = false) throws(CompressionError) -> Double {
        guard case .number(let d) = v else { throw .invalidConfig(path: path, message: "expected a number, got \(v.typeName)") }
        guard range.contains(d), !(openUpper && d == range.upperBound) else {
            let upper = openUpper ? "\(range.upperBound))" : "\(range.upperBound)]"
            throw .invalidConfig(path: path, message: "\(d) is out of range [\(range.lowerBound), \(upper)")
        }
        return d
    }

    /// An integer within `range`, which must lie inside ±(2^53 − 1): numbers arrive as doubles, and
    /// past that a double no longer tells neighbouring integers apart (2^53 + 1 reads as 2^53).
    static func integer(_ v: JSONValue, path: String, in range: ClosedRange<Int>) throws(CompressionError) -> Int {
        guard case .number(let d) = v, d.isFinite, d == d.rounded() else {
            let got: String
            if case .number(let d) = v { got = "\(d)" } else { got = v.typeName }
            throw .invalidConfig(path: path, message: "expected an integer, got \(got)")
        }
        guard abs(d) < 9_007_199_254_740_992, range.contains(Int(d)) else {
            let text = abs(d) < 1e18 ? "\(Int(d))" : "\(d)"
            throw .invalidConfig(path: path, message: "\(text) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(d)
    }
}
