/// Header fields in arrival order. Names compare case-insensitively (ASCII); repeated fields are
/// kept as separate entries so nothing a client sent is lost.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Field = (name: String, value: String)
    private var fields: [Field] = []

    public init() {}
    public init(_ fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        get { fields.first { Self.equal($0.name, name) }?.value }
        set {
            remove(name)
            if let newValue { fields.append((name: name, value: newValue)) }
        }
    }

    /// Every value of `name`, in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.equal($0.name, name) ? $0.value : nil }
    }

    /// Values of `name` split at commas (list-valued fields such as Accept-Encoding or Connection),
    /// trimmed of optional whitespace, empty elements dropped.
    public func listValues(for name: String) -> [String] {
        values(for: name).flatMap { $0.split(separator: ",") }
            .map { $0.trimmingOWS() }.filter { !$0.isEmpty }
    }

    public func contains(_ name: String) -> Bool { fields.contains { Self.equal($0.name, name) } }

    /// Appends a field, keeping any earlier field of the same name.
    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every field of `name` with one.
    public mutating func set(_ name: String, _ value: String) { self[name] = value }

    public mutating func remove(_ name: String) { fields.removeAll { Self.equal($0.name, name) } }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { equal($0.name, $1.name) && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison, without allocating lowercased copies.
    static func equal(_ a: String, _ b: String) -> Bool {
        var ia = a.utf8.makeIterator(), ib = b.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x != y && ASCII.lower(x) != ASCII.lower(y) { return false }
            default: return false
            }
        }
    }
}

enum ASCII {
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
}

extension StringProtocol {
    /// Trims spaces and horizontal tabs (HTTP's optional whitespace) from both ends.
    public func trimmingOWS() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    func lowercasedASCII() -> String { String(decoding: utf8.map(ASCII.lower), as: UTF8.self) }
}
