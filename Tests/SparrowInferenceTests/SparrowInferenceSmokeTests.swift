import Testing
import SparrowInference

@Test func moduleLinks() { #expect(Bool(true)) }
