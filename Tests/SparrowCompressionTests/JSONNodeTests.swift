import Foundation
import Testing
import SparrowCompression

@Test func jsonNodeParsesEveryKindOfValue() throws {
    let node = try JSONNode.parse(Array(#" {"a": [1, -2.5, 3e2, 0, -0.0, 12345678901234567890], "b": {"c": true, "d": false, "e": null},"s": "x\"\\\/\n\u00e9\ud83d\ude00"} "#.utf8))
    guard case .array(let a)? = node["a"] else { Issue.record("no array"); return }
    #expect(a[0] == .number(1, integer: 1))
    #expect(a[1] == .number(-2.5, integer: nil))
    #expect(a[2] == .number(300, integer: nil))
    #expect(a[3] == .number(0, integer: 0))
    if case .number(let d, nil) = a[5] { #expect(d == 12345678901234567890.0) } else { Issue.record("big integer") }
    #expect(node["b"]?["c"] == .bool(true))
    #expect(node["b"]?["d"] == .bool(false))
    #expect(node["b"]?["e"] == .null)
    #expect(node["s"] == .string("x\"\\/\né😀"))
}

@Test func jsonNodeAgreesWithFoundationOnFloats() throws {
    var rng = SystemRandomNumberGenerator()
    let values = (0..<500).map { _ in Float.random(in: -1e6...1e6, using: &rng) }
    let text = "[" + values.map { $0.description }.joined(separator: ",") + "]"
    guard case .array(let parsed) = try JSONNode.parse(Array(text.utf8)) else { Issue.record("not an array"); return }
    let reference = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber])
    for (node, ref) in zip(parsed, reference) {
        guard case .number(let d, _) = node else { Issue.record("not a number"); continue }
        #expect(Float(d) == ref.floatValue)
    }
}

@Test func jsonNodeRejectsMalformedText() {
    let bad = ["", "{", "[1,]", "[1 2]", "{\"a\" 1}", "{a: 1}", "01", "1.", "-", "1e", "tru", "nul", "\"abc",
               "\"\\x\"", "\"\\ud800\"", "\"a\u{01}\"", "[1] x", "{\"a\":1,}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
               "1" + String(repeating: "0", count: 80)]
    for text in bad {
        #expect(throws: JSONNode.SyntaxError.self, "\(text)") { try JSONNode.parse(Array(text.utf8)) }
    }
}

@Test func jsonNodeRefusesDuplicateKeysAtTheirOffset() {
    let error = #expect(throws: JSONNode.SyntaxError.self) { try JSONNode.parse(Array(#"{"a": 1, "a": 2}"#.utf8)) }
    #expect(error?.offset == 9 && error?.message == "duplicate key \"a\"")
    // The same key in different objects is fine.
    #expect(throws: Never.self) { try JSONNode.parse(Array(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#.utf8)) }
}

@Test func jsonNodeKeepsEveryInt64Exactly() throws {
    for (text, value) in [("-9223372036854775808", Int64.min), ("9223372036854775807", Int64.max),
                          ("-9223372036854775000", -9223372036854775000), ("-0", 0), ("7", 7)] {
        guard case .number(_, let integer) = try JSONNode.parse(Array(text.utf8)) else { Issue.record("\(text)"); continue }
        #expect(integer == value, "\(text)")
    }
    for text in ["9223372036854775808", "-9223372036854775809", "12345678901234567890"] {
        guard case .number(let d, let integer) = try JSONNode.parse(Array(text.utf8)) else { Issue.record("\(text)"); continue }
        #expect(integer == nil && d == Double(text)!, "\(text)")
    }
}

@Test func jsonNodeSkipsALeadingByteOrderMarkOnly() throws {
    #expect(try JSONNode.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number(1, integer: 1)]))
    #expect(throws: JSONNode.SyntaxError.self) { try JSONNode.parse(Array(" ".utf8) + [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) }
}
