#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// printf-style formatting through the C library's `vsnprintf`, for the fixed-decimal and padded
    /// numbers reports and logs print. Foundation's `String(format:)` would link ICU (~34 MB of data)
    /// into the binary; the C library formats numbers identically for these conversions.
    /// Pass `Int` with `%ld` (not `%d`, which reads a C `int`) and `Double` with `%f`/`%e`/`%g`.
    public init(cFormat format: String, _ arguments: CVarArg...) {
        self.init(cFormat: format, arguments: arguments)
    }

    public init(cFormat format: String, arguments: [CVarArg]) {
        // A va_list is consumed by one call, so measuring and writing each take their own.
        var small = [CChar](repeating: 0, count: 128)
        let needed = withVaList(arguments) { vsnprintf(&small, small.count, format, $0) }
        guard needed >= small.count else {
            self = String(decoding: small.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return
        }
        var large = [CChar](repeating: 0, count: Int(needed) + 1)
        _ = withVaList(arguments) { vsnprintf(&large, large.count, format, $0) }
        self = String(decoding: large.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `x` with exactly `decimals` digits after the point, rounded as printf's `%.Nf` rounds.
    public init(fixed x: Double, decimals: Int) {
        self.init(cFormat: "%.*f", Int32(clamping: Swift.max(0, decimals)), x)
    }
}
