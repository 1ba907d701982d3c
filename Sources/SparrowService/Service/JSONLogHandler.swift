import Foundation
import Logging

/// One JSON object per line on stderr: time, level, label, message and metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let lock = NSLock()

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
        FileHandle.standardError.write(data)
        JSONLogHandler.lock.unlock()
    }
}
