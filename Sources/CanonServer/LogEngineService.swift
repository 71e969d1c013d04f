import CanonLog
import ServiceLifecycle

/// The log engine as a `Service` of the server's `ServiceGroup`: it runs until the group shuts down
/// gracefully or is cancelled (another service failed), then closes the log cleanly (every append
/// durable, the clean-shutdown marker written). Put it before the HTTP application in the group: a
/// group stops its services in reverse order, so the server stops taking requests before the log closes.
public struct LogEngineService: Service {
    public let engine: LogEngine

    public init(engine: LogEngine) {
        self.engine = engine
    }

    public func run() async throws {
        // Returns at graceful shutdown; throws CancellationError when the group is cancelled.
        try? await gracefulShutdown()
        await engine.shutdown()
    }
}
