// File bodies by sendfile(2): the page cache's pages go to the socket without passing through
// user memory (one copy fewer than IORING_OP_READ + SEND; bench/large-body-routes.c measured
// 264 against 359 µs of CPU per MB). sendfile runs on the worker thread, so nothing it does may
// block: the socket is non-blocking (EAGAIN, then a ring poll for POLLOUT), and before each
// piece the page cache is asked whether the piece is there; a piece that is not goes by the
// ring's read (the page cache's async buffered read, no io-wq) and send. One piece per stream
// per event-loop turn, so one connection's cached file cannot starve the others.
import CURing
import Glibc

/// What stopped a sendfile stream; reported by the poll that follows the failed piece.
enum SendfileFailure: UInt8 {
    case none
    /// The peer is gone (EPIPE, ECONNRESET...).
    case peer
    /// The file ended before the promised length (it shrank) or could not be read.
    case file
}

/// What the worker submits after a stream's sendfile step.
enum SendfileStep: Equatable {
    /// The connection has no regular descriptor yet: IORING_OP_FIXED_FD_INSTALL first.
    case install
    /// Wait for socket room (POLL_ADD POLLOUT; at once if it has room): `sent` bytes went out.
    case poll(sent: Int)
    /// This piece goes by IORING_OP_READ + SEND (not cached, or no descriptor to be had).
    case ring
}

extension BodyStreams {
    /// Bytes per sendfile call and per page-cache check: about 65 µs of copying when cached,
    /// the most one connection holds the worker per turn.
    static let sendfilePiece: UInt64 = 256 << 10

    /// sendfile(2) has no MSG_NOSIGNAL: SIGPIPE is blocked on the worker thread (which builds
    /// the streams), so a reset peer is an EPIPE result, not the end of the process.
    static func blockBrokenPipeSignal() { _ = curing_block_broken_pipe() }

    /// The next step of sendfile stream `id` for connection `slot`: at most one sendfile(2) of
    /// one piece. Counts pieces sent and pieces left to the ring in `statistics`.
    mutating func sendfileStep(_ id: UInt32, slot: UInt32, statistics: WorkerStatistics) -> SendfileStep {
        let stream = entries + Int(id)
        if stream.pointee.offset < stream.pointee.ringUntil || stream.pointee.filled > stream.pointee.sent { return .ring }
        guard let socket = sockets.descriptor(slot: slot) else {
            if sockets.hasRoom { return .install }
            stream.pointee.sendfile = false
            return .ring
        }
        let piece = min(stream.pointee.remaining, BodyStreams.sendfilePiece)
        guard BodyStreams.isCached(fd: stream.pointee.fd, offset: stream.pointee.offset, count: piece) else {
            stream.pointee.ringUntil = stream.pointee.offset + piece
            statistics.add(.sendfileColdPieces)
            return .ring
        }
        var offset = Int64(stream.pointee.offset)
        let result = curing_sendfile(socket, stream.pointee.fd, &offset, UInt(piece))
        if result > 0 {
            stream.pointee.offset += UInt64(result)
            stream.pointee.remaining -= UInt64(result)
            statistics.add(.sendfilePieces)
            if UInt64(result) < piece { statistics.add(.sendfileSocketFull) }
            return .poll(sent: result)
        }
        switch -result {
        case 0: stream.pointee.failure = .file   // end of file before the promised length
        case Int(EAGAIN), Int(EINTR): statistics.add(.sendfileSocketFull)   // the poll waits for room
        case Int(EPIPE), Int(ECONNRESET), Int(ENOTCONN), Int(ETIMEDOUT): stream.pointee.failure = .peer
        default: stream.pointee.failure = .file   // EIO and the like: the file could not be read
        }
        return .poll(sent: 0)
    }

    /// Whether all of [offset, offset + count) of `fd` is in the page cache and up to date,
    /// so sendfile will not wait for the disk: cachestat(2) (Linux 6.5) counts the pages
    /// present, and a one-byte preadv2(RWF_NOWAIT) at the last page sees one still under read
    /// (cachestat counts those too; readahead fills a piece front to back, so its last page is
    /// the one to probe). Without cachestat (ENOSYS) the probe alone decides.
    static func isCached(fd: Int32, offset: UInt64, count: UInt64) -> Bool {
        guard count > 0 else { return true }
        let first = offset & ~4095
        let pages = (offset + count - first + 4095) / 4096
        let cached = curing_cached_pages(fd, first, pages * 4096)
        if cached >= 0 && UInt64(cached) < pages { return false }
        return curing_probe_cached_byte(fd, Int64((offset + count - 1) & ~4095)) >= 0
    }
}
