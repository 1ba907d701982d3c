import Testing
import SparrowTraining

@Test func moduleLinks() { #expect(Bool(true)) }
