import Foundation

/// Whole-file reads and writes with errors that name the path and the reason.
public enum FileIO {
    public static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError(.io, "cannot read \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw ModelError(.io, "cannot read \(path): it is a directory") }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ModelError(.io, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Reads `path` and decodes it; a format error (anything but `.io`, which already names the
    /// path) is rethrown with the path in front of its message.
    public static func decode<T>(_ path: String, with decode: ([UInt8]) throws -> T) throws -> T {
        do {
            return try decode(read(path))
        } catch let error as ModelError where error.kind != .io {
            throw ModelError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Writes atomically (temporary file + rename), so readers never see a half-written file.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError(.io, "cannot write \(path): directory \(directory) does not exist")
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelError(.io, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
