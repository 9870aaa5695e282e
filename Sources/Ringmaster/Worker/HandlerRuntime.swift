// A worker's share of the Swift handler API: the router's handlers, the context handlers see,
// the scratch responses are written into, the pool of collected request bodies, and per-slot
// handler state. The connection record spends one byte on it (`handlerState`); the rest sits
// in a side table read only when that byte says so, so connections that never reach a
// handler pay nothing beyond the byte.
import Logging

/// Bits of `ConnectionRecord.handlerState`.
enum HandlerState {
    /// A handler request's head and body are being collected (`HandlerSlot.request`).
    static let collecting: UInt8 = 1 << 0
    /// A handler deferred its response (`HandlerSlot.deferralID`); later responses wait.
    static let deferred: UInt8 = 1 << 1
    /// A written response waits in `HandlerSlot.heldChunk` for the output chunk to drain.
    static let held: UInt8 = 1 << 2
    /// The request is being forwarded to an upstream (`ProxyExchanges.ofSlot`); later
    /// responses wait, as behind a deferred one.
    static let proxied: UInt8 = 1 << 3
    /// The proxied request's body is forwarded as it arrives (Worker+ProxyUpload.swift):
    /// decoded body bytes go to the exchange's window instead of a collected request.
    static let uploading: UInt8 = 1 << 4
    /// A streaming route's handler reads the body as it arrives (Worker+BodyChannel.swift):
    /// decoded body bytes go to its BodyChannel (`WorkerContext.bodyChannels`).
    static let streamingBody: UInt8 = 1 << 5
    /// An async handler's streamed response body is still being written (the connection's
    /// body stream sends what its ResponseBodyWriter puts in; Worker+ResponseWriter.swift).
    static let streamingResponse: UInt8 = 1 << 6
}

/// Handler state of one connection slot, valid where `handlerState` has the matching bit.
struct HandlerSlot {
    var request: UInt32 = RequestStore.none
    var deferralID: UInt32 = 0
    /// `PendingResponse` bits (close, headOnly) of the deferred response.
    var deferredFlags: UInt8 = 0
    /// The handler that deferred, for log lines.
    var deferredHandler: UInt16 = 0
    var heldChunk: UInt32 = ChunkSlab.none
    var heldLength: UInt32 = 0
}

/// Per-worker handler machinery.
struct HandlerRuntime: ~Copyable {
    let router: Router
    let context: WorkerContext
    let scratch: ResponseScratch
    var store = RequestStore()
    /// Each slot's current handler request id.
    var requestIDs: RequestIDs
    /// Pattern routes' patterns and the array their parameters are captured into.
    let patterns: HandlerPatterns
    /// One `HandlerSlot` per connection slot; entries are written before they are read (the
    /// record's bits say which are live), so the table is never initialised as a whole and
    /// its pages are touched only by connections that use handlers.
    let slots: UnsafeMutablePointer<HandlerSlot>

    /// Built on the worker's thread (the context records it).
    init(router: Router, connections: Int, chunkSize: Int, workerIndex: Int, logger: Logger, eventFD: Int32) {
        self.router = router
        patterns = HandlerPatterns(router: router)
        context = WorkerContext(index: workerIndex, logger: logger, eventFD: eventFD)
        scratch = ResponseScratch(bodyCapacity: chunkSize)
        slots = .allocate(capacity: connections)
        requestIDs = RequestIDs(slots: connections)
    }

    deinit {
        context.stop()
        scratch.deallocate()
        slots.deallocate()
    }

    /// "GET /path" of handler `index`, for log lines.
    func name(of index: Int) -> String {
        index < router.handlerNames.count ? router.handlerNames[index] : "handler \(index)"
    }
}
