// The patterns of the router's pattern handler routes, and the fixed array their parameters
// are captured into, one per worker (and one per RouterTester). The route table only says
// whether a path matches; the captures are taken here, once, right before the handler runs,
// on the request's path wherever it then lives (the receive buffer, or the collected copy of
// a request with a body). A handler route that is not a pattern costs one length check.

/// Per-handler pattern bytes and the capture array handlers' `Parameters` point into.
struct HandlerPatterns: ~Copyable {
    let block: UnsafeMutableRawPointer
    /// Per handler index: its pattern in `block`; length 0 for a handler that is not a pattern.
    let pieces: UnsafeMutablePointer<(offset: Int, length: Int)>
    let handlerCount: Int
    let captures: UnsafeMutablePointer<PathCapture>

    init(router: Router) {
        handlerCount = router.handlers.count
        pieces = .allocate(capacity: max(handlerCount, 1))
        pieces.initialize(repeating: (0, 0), count: max(handlerCount, 1))
        var patterns: [(handler: Int, bytes: [UInt8])] = []
        for route in router.routes where route.match == .pattern {
            if case .handler(let index) = route.kind { patterns.append((index, Array(route.path.utf8))) }
        }
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(patterns.reduce(0) { $0 + $1.bytes.count }, 1), alignment: 8)
        var offset = 0
        for (handler, bytes) in patterns {
            bytes.withUnsafeBytes { (block + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            pieces[handler] = (offset, bytes.count)
            offset += bytes.count
        }
        self.block = block
        captures = .allocate(capacity: PathPattern.maxCaptures)
    }

    deinit {
        block.deallocate()
        pieces.deallocate()
        captures.deallocate()
    }

    /// The parameters of `target` (path and query, as sent) for handler `handler`: empty
    /// unless it is a pattern route. They stay valid until the next call (one handler runs
    /// at a time on a worker). Allocation-free.
    @inline(__always)
    func parameters(handler: Int, target: UnsafeRawBufferPointer) -> Parameters {
        guard handler < handlerCount, pieces[handler].length > 0, let base = target.baseAddress else { return Parameters() }
        var pathLength = 0
        // Safe: bounded by target.count.
        while pathLength < target.count && target[pathLength] != UInt8(ascii: "?") { pathLength &+= 1 }
        let pattern = UnsafeRawBufferPointer(start: block + pieces[handler].offset, count: pieces[handler].length)
        let path = UnsafeRawBufferPointer(start: base, count: pathLength)
        // valueStart stays at its sentinel unless the pattern ends in "**".
        var rest = PathCapture(valueStart: UInt32.max)
        let count = PathPattern.match(pattern, path, captures: captures, rest: &rest)
        guard count >= 0 else { return Parameters() }
        return Parameters(pattern: pattern, path: path, captures: captures, count: count, rest: rest.valueStart == UInt32.max ? nil : rest)
    }
}
