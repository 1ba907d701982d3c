import Testing
import SparrowService

@Test func moduleLinks() { #expect(Bool(true)) }
