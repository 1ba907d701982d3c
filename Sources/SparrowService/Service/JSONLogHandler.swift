import FoundationEssentials
import Glibc
import SparrowHTTP
import Logging

/// One JSON object per line on stderr: time, level, label, message and metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let lock = ConditionLock()

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var fields: [String: String] = [:]
        for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { fields[k] = "\(v)" }
        fields["time"] = ResourceViews.time(Date().timeIntervalSince1970)
        fields["level"] = level.rawValue
        fields["label"] = label
        fields["message"] = message.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(fields) else { return }
        data.append(0x0a)
        JSONLogHandler.lock.lock()
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
        }
        JSONLogHandler.lock.unlock()
    }
}
