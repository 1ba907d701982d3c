import Testing
import SparrowCompression

@Test func moduleLinks() { #expect(Bool(true)) }
