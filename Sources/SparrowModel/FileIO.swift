import Foundation

/// Whole-file reads and writes with errors that name the path.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ModelError(.io, "cannot read \(path): \(describe(error))")
        }
    }

    /// Writes atomically (temporary file + rename), so readers never see a half-written file.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelError(.io, "cannot write \(path): \(describe(error))")
        }
    }

    private static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return ns.localizedDescription
    }
}
