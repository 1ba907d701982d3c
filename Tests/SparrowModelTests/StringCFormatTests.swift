import Foundation
import Testing
import SparrowModel

// String(cFormat:) stands in for Foundation's String(format:) in the product modules; the outputs
// reports and CLI lines print must not change, so Foundation itself is the oracle here.
@Test(arguments: [0.0, -0.0, 1.0, 0.5, 2.5, -2.5, 0.125, 1.0 / 3, 123456.789, -1e-9, 1e15, 99.995, 0.004999])
func cFormatMatchesFoundationForFixedDecimals(x: Double) {
    for format in ["%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%8.3f", "%.2f%%"] {
        #expect(String(cFormat: format, x) == String(format: format, x), "\(format) of \(x)")
    }
    for decimals in 0...6 {
        #expect(String(fixed: x, decimals: decimals) == String(format: "%.\(decimals)f", x))
    }
}

@Test func cFormatIntegersStringsAndPadding() {
    #expect(String(cFormat: "%ld:%02ld", 7, 5) == "7:05")
    #expect(String(cFormat: "batch %ld, %ld iterations", -3, Int.max) == "batch -3, \(Int.max) iterations")
    #expect(String(fixed: 1.005, decimals: -2) == "1")  // negative precision clamps to none
}

@Test func cFormatOutputLongerThanTheFirstBuffer() {
    let x = 1e300
    let expected = String(format: "%.2f", x)
    #expect(expected.count > 128)
    #expect(String(cFormat: "%.2f", x) == expected)
}
