// Outgoing bytes: responses are appended to one slab chunk per connection and sent with one
// send per batch; a short send continues from where it stopped (never a reason to close).
import Glibc

extension Worker {
    /// Room for the next response: at least the largest static response or a generated one.
    var responseReserve: Int { max(routing.responses.maxResponseLength, 512) }

    /// Whether the output can take another response, compacting it when no send is in flight.
    mutating func reserveOutputRoom(slot: UInt32) -> Bool {
        let connection = table[slot]
        // A body stream goes out after the output: later responses wait for it to finish.
        guard connection.pointee.stream == BodyStreams.none else { return false }
        // A handler's response still owed (deferred, or held for room) keeps later ones behind it.
        if connection.pointee.handlerState & (HandlerState.deferred | HandlerState.held | HandlerState.proxied) != 0 { return false }
        guard connection.pointee.outChunk != ChunkSlab.none else { return true }

        if slab.chunkSize - Int(connection.pointee.outLength) >= responseReserve { return true }
        compactOutput(slot: slot)
        return slab.chunkSize - Int(connection.pointee.outLength) >= responseReserve
    }

    /// Moves unsent bytes to the chunk's start; only while the kernel is not reading it.
    mutating func compactOutput(slot: UInt32) {
        let connection = table[slot]
        let start = Int(connection.pointee.outStart)
        guard !connection.pointee.machine.isSending, start > 0,
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
            // Cannot happen: parsing stops before the output lacks room for a response
            // (reserveOutputRoom) and larger answers are held whole in a chunk of their own.
            link.statistics.add(.protocolOverflows)
            closeConnection(slot: slot)
            return nil
        }
        return slab.pointer(connection.pointee.outChunk) + Int(connection.pointee.outLength)
    }

    /// Space for one whole answer of `count` bytes (at most a chunk): in the output when it
    /// has room (compacting it if no send is in flight), else in a chunk of its own that
    /// becomes the output once the output drains (parsing waits meanwhile:
    /// `reserveOutputRoom`). A generated or file answer therefore never fails for want of room
    /// behind pipelined ones. Commit with `commitAnswerOutput`. Nil (the connection closed)
    /// when the slab is exhausted.
    mutating func answerOutput(slot: UInt32, count: Int) -> (pointer: UnsafeMutableRawPointer, held: Bool)? {
        guard table[slot].pointee.handlerState & HandlerState.held == 0 else {
            // Parsing stops while an answer is held, so a second one cannot come; if it
            // did, writing it anywhere would break the order.
            assertionFailure("a second answer while one is held")
            closeConnection(slot: slot)
            return nil
        }
        let connection = table[slot]
        if connection.pointee.outChunk != ChunkSlab.none && slab.chunkSize - Int(connection.pointee.outLength) < count {
            compactOutput(slot: slot)
        }
        if connection.pointee.outChunk == ChunkSlab.none || slab.chunkSize - Int(connection.pointee.outLength) >= count {
            return reserveOutput(slot: slot, count: count).map { ($0, false) }
        }
        guard let chunk = slab.allocate() else {
            closeConnection(slot: slot)
            return nil
        }
        if connection.pointee.handlerState == 0 { handling.slots[Int(slot)] = HandlerSlot() }
        handling.slots[Int(slot)].heldChunk = chunk
        handling.slots[Int(slot)].heldLength = 0
        connection.pointee.handlerState |= HandlerState.held
        return (slab.pointer(chunk), true)
    }

    /// Commits `count` bytes written where `answerOutput` said.
    @inline(__always)
    mutating func commitAnswerOutput(slot: UInt32, count: Int, held: Bool) {
        if held { handling.slots[Int(slot)].heldLength = UInt32(count) } else { commitOutput(slot: slot, count: count) }
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
        guard record.machine.maySend else { return }
        guard record.outLength > record.outStart else {
            if record.stream != BodyStreams.none { pumpStream(slot: slot) }
            return
        }
        guard transmit(slot: slot, bytes: slab.pointer(record.outChunk) + Int(record.outStart), count: Int(record.outLength - record.outStart),
                       userData: UserData(slot: slot, operation: .send, buffer: UInt16(truncatingIfNeeded: record.outChunk),
                                          generation: record.generation)) else {
            perform(connection.pointee.machine.failed(), slot: slot)
            return
        }
        connection.pointee.machine.sendStarted()
    }

    mutating func handleSend(_ data: UserData, _ completion: Completion) {
        let slot = data.slot
        let connection = table[slot]
        guard connection.pointee.generation == data.generation, connection.pointee.isOpen else {
            // The connection closed while this send was in flight; the chunk was left to it.
            slab.release(UInt32(data.buffer))
            return
        }
        guard case .done(let sent) = completion.outcome else {
            link.statistics.add(.peerErrors)
            perform(connection.pointee.machine.sendCompleted(ok: false, facts(slot)), slot: slot)
            return
        }
        link.statistics.add(.bytesOut, UInt64(sent))
        connection.pointee.outStart += UInt32(sent)
        if connection.pointee.outStart == connection.pointee.outLength {
            slab.release(connection.pointee.outChunk)
            connection.pointee.outChunk = ChunkSlab.none
            connection.pointee.outStart = 0
            connection.pointee.outLength = 0
            // A response that waited whole for this chunk to drain goes out next.
            installHeldOutput(slot: slot)
        }
        guard perform(connection.pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }
}
