import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension HTTPServer {
    /// Shuts the server down gracefully on SIGTERM or SIGINT (within `deadline` seconds), then
    /// calls `onStopped` (e.g. to exit). The server keeps the signal sources alive.
    public func shutdownOnSignals(deadline: Double = 10, onStopped: @escaping @Sendable () -> Void = {}) {
        // On Linux, Dispatch reads signals through a signalfd, which only sees signals that no
        // thread takes: block them in the calling (main) thread; Dispatch's workers block them too.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let sources = [SIGTERM, SIGINT].map { number in
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
        keepSignalSources(sources)
    }
}
