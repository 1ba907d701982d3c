import Testing
import SparrowHTTP

@Test func moduleLinks() { #expect(Bool(true)) }
