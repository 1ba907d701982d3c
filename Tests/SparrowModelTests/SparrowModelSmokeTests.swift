import Testing
import SparrowModel

@Test func moduleLinks() { #expect(Bool(true)) }
