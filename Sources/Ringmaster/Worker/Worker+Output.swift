// Outgoing bytes: responses are appended to one slab chunk per connection and sent with one
// send per batch; a short send continues from where it stopped (never a reason to close).
import CURing
import Glibc

extension Worker {
    /// Room for the next response: at least the largest static response or a generated one.
    var responseReserve: Int { max(responses.maxResponseLength, 512) }

    /// Whether the output can take another response, compacting it when no send is in flight.
    mutating func reserveOutputRoom(slot: UInt32) -> Bool {
        let connection = table[slot]
        // A body stream goes out after the output: later responses wait for it to finish.
        guard connection.pointee.stream == BodyStreams.none else { return false }
        // A handler's response still owed (deferred, or held for room) keeps later ones behind it.
        if connection.pointee.handlerState & (HandlerState.deferred | HandlerState.held) != 0 { return false }
        guard connection.pointee.outChunk != ChunkSlab.none else { return true }
        if slab.chunkSize - Int(connection.pointee.outLength) >= responseReserve { return true }
        compactOutput(slot: slot)
        return slab.chunkSize - Int(connection.pointee.outLength) >= responseReserve
    }

    /// Moves unsent bytes to the chunk's start; only while the kernel is not reading it.
    mutating func compactOutput(slot: UInt32) {
        let connection = table[slot]
        let start = Int(connection.pointee.outStart)
        guard connection.pointee.flags & ConnectionFlags.sending == 0, start > 0,
              connection.pointee.outChunk != ChunkSlab.none else { return }
        let base = slab.pointer(connection.pointee.outChunk)
        let length = Int(connection.pointee.outLength)
        memmove(base, base + start, length - start)
        connection.pointee.outStart = 0
        connection.pointee.outLength = UInt32(length - start)
    }

    /// Space for `count` more output bytes, or nil (the connection is closed) when the slab
    /// is exhausted or the chunk is full.
    mutating func reserveOutput(slot: UInt32, count: Int) -> UnsafeMutableRawPointer? {
        let connection = table[slot]
        if connection.pointee.outChunk == ChunkSlab.none {
            guard let id = slab.allocate() else {
                closeConnection(slot: slot)
                return nil
            }
            connection.pointee.outChunk = id
            connection.pointee.outStart = 0
            connection.pointee.outLength = 0
        }
        if slab.chunkSize - Int(connection.pointee.outLength) < count { compactOutput(slot: slot) }
        guard slab.chunkSize - Int(connection.pointee.outLength) >= count else {
            statistics.add(.protocolOverflows)
            closeConnection(slot: slot)
            return nil
        }
        return slab.pointer(connection.pointee.outChunk) + Int(connection.pointee.outLength)
    }

    /// Space for one whole response of `count` bytes (at most a chunk): in the output when it
    /// has room, else in a chunk of its own that becomes the output once the output drains
    /// (parsing waits meanwhile: `reserveOutputRoom`). A generated or file response therefore
    /// never fails for want of room behind pipelined ones. Commit with `commitHandlerOutput`.
    /// Nil (the connection closed) when the slab is exhausted.
    mutating func responseOutput(slot: UInt32, count: Int) -> (pointer: UnsafeMutableRawPointer, held: Bool)? {
        guard table[slot].pointee.handlerState & HandlerState.held == 0 else {
            // Parsing stops while a response is held, so a second one cannot come; if it
            // did, writing it anywhere would break the order.
            assertionFailure("a second response while one is held")
            closeConnection(slot: slot)
            return nil
        }
        return handlerOutput(slot: slot, count: count)
    }

    @inline(__always)
    mutating func commitOutput(slot: UInt32, count: Int) {
        table[slot].pointee.outLength += UInt32(count)
    }

    /// Copies `bytes` to the connection's output.
    @inline(__always)
    mutating func appendOutput(slot: UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard let out = reserveOutput(slot: slot, count: bytes.count) else { return }
        out.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        commitOutput(slot: slot, count: bytes.count)
    }

    /// Starts a send of everything unsent, unless one is in flight (its completion sends the
    /// rest), or the body stream's next step once the output is empty. The chunk id rides in
    /// user_data so a late completion can free it.
    mutating func flushOutput(slot: UInt32) {
        let connection = table[slot]
        let record = connection.pointee
        guard record.flags & (ConnectionFlags.sending | ConnectionFlags.open) == ConnectionFlags.open else { return }
        guard record.outLength > record.outStart else {
            if record.stream != BodyStreams.none { pumpStream(slot: slot) }
            return
        }
        let sqe = ring.nextSQE()
        io_uring_prep_send(sqe, Int32(slot), slab.pointer(record.outChunk) + Int(record.outStart),
                           Int(record.outLength - record.outStart), Int32(MSG_NOSIGNAL))
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE
        sqe.pointee.user_data = UserData(slot: slot, operation: .send, buffer: UInt16(truncatingIfNeeded: record.outChunk),
                                         generation: record.generation).rawValue
        connection.pointee.flags |= ConnectionFlags.sending
    }

    mutating func handleSend(_ data: UserData, result: Int32) {
        let slot = data.slot
        let connection = table[slot]
        guard connection.pointee.generation == data.generation, connection.pointee.flags & ConnectionFlags.open != 0 else {
            // The connection closed while this send was in flight; the chunk was left to it.
            slab.release(UInt32(data.buffer))
            return
        }
        connection.pointee.flags &= ~ConnectionFlags.sending
        guard result >= 0 else {
            statistics.add(.peerErrors)
            closeConnection(slot: slot)
            return
        }
        statistics.add(.bytesOut, UInt64(result))
        connection.pointee.outStart += UInt32(result)
        if connection.pointee.outStart == connection.pointee.outLength {
            slab.release(connection.pointee.outChunk)
            connection.pointee.outChunk = ChunkSlab.none
            connection.pointee.outStart = 0
            connection.pointee.outLength = 0
            if installHeldOutput(slot: slot) {
                // A handler's response waited for this chunk to drain; it goes out next.
                flushOutput(slot: slot)
                updateTimer(slot: slot)
                return
            }
            if connection.pointee.stream == BodyStreams.none {
                guard outputDrained(slot: slot, generation: data.generation) else { return }
            }
        } else {
            compactOutput(slot: slot)
        }
        flushOutput(slot: slot)
        updateTimer(slot: slot)
    }

    /// Everything queued (and any body stream) is sent: close if the connection asked for
    /// it, serve input that waited for room, or close an idle connection during a drain.
    /// False when the connection was closed or replaced.
    mutating func outputDrained(slot: UInt32, generation: UInt8) -> Bool {
        let connection = table[slot]
        if connection.pointee.flags & ConnectionFlags.closeAfterSend != 0 {
            closeConnection(slot: slot)
            return false
        }
        if connection.pointee.flags & ConnectionFlags.outputBlocked != 0 {
            // Output drained: serve what waited in the carry chunk.
            connection.pointee.flags &= ~ConnectionFlags.outputBlocked
            processCarry(slot: slot)
            if connection.pointee.generation != generation { return false }
        }
        if draining && isIdle(connection) {
            closeConnection(slot: slot)
            return false
        }
        return true
    }

    /// No output, no partial request: safe to close during a drain.
    func isIdle(_ connection: UnsafeMutablePointer<ConnectionRecord>) -> Bool {
        let record = connection.pointee
        return record.flags & ConnectionFlags.sending == 0 && record.outLength == record.outStart
            && record.carryLength == 0 && record.body.isComplete && record.pendingFlags == 0 && record.stream == BodyStreams.none
            && record.handlerState == 0
    }
}
