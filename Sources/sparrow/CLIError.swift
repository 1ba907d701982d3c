/// A user-facing CLI failure. ArgumentParser prints "Error: <message>" to stderr and exits with
/// status 1 for it (as for `ModelError` and `RuntimeError`), never a crash trace.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { self.description = message }
}
