import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// IMF-fixdate strings ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per second for the Date header.
enum HTTPDate {
    private static let cache = Locked<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { entry in
            if entry.second != second { entry = (second, format(second)) }
            return entry.text
        }
    }

    static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// A value behind a ConditionLock (Synchronization.Mutex needs a noncopyable owner; this is simpler to
/// keep in statics and classes).
final class Locked<Value>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&value)
    }
}
