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

extension HTTPDate {
    /// Seconds since the epoch of an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete
    /// RFC 850 and asctime forms a recipient must also accept. Nil for anything else.
    static func parse(_ text: String) -> Int? {
        let words = text.trimmingOWS().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, clock: String?
        if words.count == 6, words[5] == "GMT", words[0].hasSuffix(",") {  // Sun, 06 Nov 1994 08:49:37 GMT
            (day, month, year, clock) = (Int(words[1]), months.firstIndex(of: words[2]), Int(words[3]), words[4])
        } else if words.count == 4, words[3] == "GMT", words[0].hasSuffix(",") {  // Sunday, 06-Nov-94 08:49:37 GMT
            let dmy = words[1].split(separator: "-").map(String.init)
            guard dmy.count == 3, let yy = Int(dmy[2]), dmy[2].count == 2 else { return nil }
            (day, month, year, clock) = (Int(dmy[0]), months.firstIndex(of: dmy[1]), yy < 70 ? 2000 + yy : 1900 + yy, words[2])
        } else if words.count == 5, days.contains(words[0]) {  // Sun Nov  6 08:49:37 1994
            (day, month, year, clock) = (Int(words[2]), months.firstIndex(of: words[1]), Int(words[4]), words[3])
        }
        guard let day, let month, let year, let clock, (1...31).contains(day), (1970...9999).contains(year) else { return nil }
        let hms = clock.split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (0...23).contains(hms[0]), (0...59).contains(hms[1]), (0...60).contains(hms[2]) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hms[0])
        parts.tm_min = Int32(hms[1])
        parts.tm_sec = Int32(hms[2])
        let seconds = timegm(&parts)
        return seconds < 0 ? nil : Int(seconds)
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
