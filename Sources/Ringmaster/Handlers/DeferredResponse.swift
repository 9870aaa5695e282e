// A response a handler promised to finish later (`Response.finishLater()`): the token names
// the worker, the connection (slot and generation) and the deferral, so a finish that comes
// after the connection closed, or a second finish, is recognised and does nothing.

/// A response owed on one connection, finished later on the same worker thread.
///
/// ```swift
/// router.get("/slow") { request, response in
///     let later = response.finishLater()
///     request.worker.after(milliseconds: 100) {
///         later.finish { response in response.write("done\n") }
///     }
/// }
/// ```
///
/// `finish` must be called on the worker thread that ran the handler (a timer callback of
/// `request.worker`, or another handler on that worker); from another thread it stops the
/// process with a precondition failure. The response is written after the worker's current
/// batch of completions. If the connection closed meanwhile, or the response was already
/// finished, `finish` does nothing and `body` is not called. A response never finished is
/// cut with its connection by the idle timeout (docs/handlers.md).
public struct DeferredResponse {
    let worker: WorkerContext
    let slot: UInt32
    let generation: UInt8
    let id: UInt32

    /// Writes the response: `body` gets a fresh `Response` (what the handler wrote before
    /// deferring was discarded) and may itself call `finishLater()` again.
    public func finish(_ body: @escaping (inout Response) -> Void) {
        worker.enqueue(PendingFinish(slot: slot, generation: generation, id: id, body: body))
    }

    /// The worker the response must be finished on.
    public var workerIndex: Int { worker.index }
}

@available(*, unavailable, message: "a deferred response is finished on the worker thread that deferred it")
extension DeferredResponse: Sendable {}
