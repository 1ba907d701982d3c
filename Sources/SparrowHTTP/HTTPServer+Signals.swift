import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension HTTPServer {
    /// Shuts the server down gracefully on SIGTERM or SIGINT (within `deadline` seconds), then
    /// calls `onStopped` (e.g. to exit). Keep the returned sources alive as long as the server.
    @discardableResult
    public func shutdownOnSignals(deadline: Double = 10,
                                  onStopped: @escaping @Sendable () -> Void = {}) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)  // the Dispatch source sees it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                logger.info("signal \(number): shutting down")
                shutdown(deadline: deadline)
                onStopped()
            }
            source.activate()
            return source
        }
    }
}
