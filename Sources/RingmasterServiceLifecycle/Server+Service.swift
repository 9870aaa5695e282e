// Ringmaster in a swift-service-lifecycle `ServiceGroup` beside other services (docs/handlers.md,
// "Running in a ServiceGroup"): the group's graceful shutdown is Ringmaster's drain, the
// task's cancellation its forced stop, and the group owns the signals. A target of its own so
// the server library does not depend on ServiceLifecycle.
import Dispatch
import Ringmaster
import ServiceLifecycle

extension Server: Service {
    /// Binds and starts every worker, then runs until the group's graceful shutdown (a drain:
    /// listeners out of the SO_REUSEPORT group, owed responses written, up to
    /// `shutdown_timeout_ms`) or the task's cancellation (forced: connections closed at once),
    /// and returns once every worker has ended. Throws what `start()` throws (a listener
    /// that cannot bind, an impossible CPU placement).
    public func run() async throws {
        try start()
        _ = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.joined()
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop(force: true)
        }
    }

    /// `wait()` off the concurrency pool: joining threads blocks, so it runs on a Dispatch
    /// thread and resumes the caller when every worker has ended.
    func joined() async -> WorkerExit {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.wait()) }
        }
    }
}
