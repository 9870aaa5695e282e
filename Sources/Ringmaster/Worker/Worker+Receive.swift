// Receiving: multishot recv with provided buffers, parsing in place, carrying a split request
// over in a slab chunk, and parking connections the buffer ring cannot serve (ENOBUFS).
import CURing
import Glibc

extension Worker {
    /// Multishot recv with buffer select from the pool's current group (Linux 6.0). The group
    /// rides in user_data, so even a stale completion returns its buffer to the right ring.
    mutating func armRecv(slot: UInt32) {
        let connection = table[slot]
        let group = buffers.currentGroup
        let sqe = ring.nextSQE()
        io_uring_prep_recv_multishot(sqe, Int32(slot), nil, 0, 0)
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_BUFFER_SELECT
        curing_sqe_set_buf_group(sqe, group)
        sqe.pointee.user_data = UserData(slot: slot, operation: .recv, buffer: group, generation: connection.pointee.generation).rawValue
        connection.pointee.flags |= ConnectionFlags.receiving
    }

    mutating func handleRecv(_ data: UserData, result: Int32, flags: UInt32) {
        let slot = data.slot
        let connection = table[slot]
        let hasBuffer = flags & CURING_CQE_F_BUFFER != 0
        let bufferID = UInt16(truncatingIfNeeded: flags >> CURING_CQE_BUFFER_SHIFT)
        guard connection.pointee.generation == data.generation, connection.pointee.flags & ConnectionFlags.open != 0 else {
            // A completion for a previous occupant of the slot: drop it, keep its buffer.
            if hasBuffer { buffers.recycle(group: data.buffer, id: bufferID) }
            return
        }
        if flags & CURING_CQE_F_MORE == 0 { connection.pointee.flags &= ~ConnectionFlags.receiving }
        if result > 0 {
            statistics.add(.bytesIn, UInt64(result))
            receive(slot: slot, bytes: UnsafeRawBufferPointer(start: buffers.buffer(group: data.buffer, id: bufferID), count: Int(result)))
            // Parsed: the buffer goes back at once, never held until the send completes.
            buffers.recycle(group: data.buffer, id: bufferID)
        } else {
            if hasBuffer { buffers.recycle(group: data.buffer, id: bufferID) }
            if result == 0 {
                handlePeerShutdown(slot: slot)
                return
            }
            if result == -ENOBUFS {
                park(slot: slot)
                return
            }
            statistics.add(.peerErrors)
            closeConnection(slot: slot)
            return
        }
        guard connection.pointee.generation == data.generation, connection.pointee.flags & ConnectionFlags.open != 0 else { return }
        if connection.pointee.flags & (ConnectionFlags.receiving | ConnectionFlags.closeAfterSend) == 0 { armRecv(slot: slot) }
        updateTimer(slot: slot)
    }

    /// The peer sent FIN: finish sending what is queued (or a handler still owes), then close.
    mutating func handlePeerShutdown(slot: UInt32) {
        let connection = table[slot]
        if connection.pointee.flags & ConnectionFlags.sending != 0 || connection.pointee.outLength > connection.pointee.outStart
            || connection.pointee.handlerState & HandlerState.deferred != 0 {
            connection.pointee.flags |= ConnectionFlags.peerClosed | ConnectionFlags.closeAfterSend
            flushOutput(slot: slot)
        } else {
            closeConnection(slot: slot)
        }
    }

    /// ENOBUFS ended the multishot recv: park the connection until buffers are recycled
    /// instead of re-arming into the same empty ring (audit item 7: never spin), and grow the
    /// pool by a group when it may.
    mutating func park(slot: UInt32) {
        let connection = table[slot]
        guard connection.pointee.flags & ConnectionFlags.starved == 0 else { return }
        connection.pointee.flags |= ConnectionFlags.starved
        starved[(starvedHead + starvedCount) % table.capacity] = slot
        starvedCount += 1
        statistics.add(.bufferStarvations)
        let widened = buffers.widen()
        if widened > 0 {
            rearmStarved(budget: widened)
        } else if buffers.groupCount < buffers.maxGroups, (try? buffers.grow(ring: ring)) == true {
            statistics.add(.bufferGroupsAdded)
            // A fresh group: every parked connection can be re-armed on it now.
            rearmStarved(budget: Int(buffers.count))
        }
    }

    /// Re-arms parked connections, oldest first, about one per buffer that came back (each
    /// needs at least one), so a burst is served in turn instead of all re-arming into a
    /// ring that can satisfy only a few.
    mutating func rearmStarved(budget: Int) {
        var remaining = min(budget, starvedCount)
        while remaining > 0 {
            let slot = starved[starvedHead]
            starvedHead = (starvedHead + 1) % table.capacity
            starvedCount -= 1
            remaining -= 1
            let connection = table[slot]
            guard connection.pointee.flags & ConnectionFlags.starved != 0 else { continue }
            connection.pointee.flags &= ~ConnectionFlags.starved
            if connection.pointee.flags & ConnectionFlags.open != 0 { armRecv(slot: slot) }
        }
    }

    /// Handles received bytes: parsed in place when nothing is carried over, otherwise
    /// appended to the carry chunk and parsed there.
    mutating func receive(slot: UInt32, bytes: UnsafeRawBufferPointer) {
        let connection = table[slot]
        let generation = connection.pointee.generation
        if connection.pointee.flags & ConnectionFlags.closeAfterSend != 0 { return }
        var input = bytes
        if connection.pointee.carryLength == 0 && connection.pointee.flags & ConnectionFlags.outputBlocked == 0 {
            let used = processInput(slot: slot, input)
            input = UnsafeRawBufferPointer(rebasing: input[used...])
        }
        while !input.isEmpty && connection.pointee.generation == generation
                && connection.pointee.flags & ConnectionFlags.closeAfterSend == 0 {
            guard let carry = carryChunk(slot: slot) else {
                closeConnection(slot: slot)
                return
            }
            let length = Int(connection.pointee.carryLength)
            let n = min(slab.chunkSize - length, input.count)
            (carry + length).copyMemory(from: input.baseAddress!, byteCount: n)
            connection.pointee.carryLength += UInt32(n)
            input = UnsafeRawBufferPointer(rebasing: input[n...])
            let progressed = processCarry(slot: slot)
            if !progressed && Int(connection.pointee.carryLength) == slab.chunkSize {
                if connection.pointee.flags & ConnectionFlags.outputBlocked != 0 {
                    // The client keeps sending while not reading a full chunk of responses:
                    // stop serving it rather than buffer without bound.
                    statistics.add(.protocolOverflows)
                    closeConnection(slot: slot)
                } else {
                    respondError(slot: slot, status: .requestHeaderFieldsTooLarge)
                }
                break
            }
        }
        if connection.pointee.generation == generation { flushOutput(slot: slot) }
    }

    /// Parses what the carry chunk holds; keeps the unconsumed tail at its start. Returns
    /// whether any byte was consumed.
    @discardableResult
    mutating func processCarry(slot: UInt32) -> Bool {
        let connection = table[slot]
        guard connection.pointee.carryChunk != ChunkSlab.none else { return false }
        let generation = connection.pointee.generation
        let carry = slab.pointer(connection.pointee.carryChunk)
        let length = Int(connection.pointee.carryLength)
        let used = processInput(slot: slot, UnsafeRawBufferPointer(start: carry, count: length))
        guard connection.pointee.generation == generation, connection.pointee.carryChunk != ChunkSlab.none else { return used > 0 }
        if used == length || connection.pointee.flags & ConnectionFlags.closeAfterSend != 0 {
            releaseCarry(slot: slot)
        } else if used > 0 {
            memmove(carry, carry + used, length - used)
            connection.pointee.carryLength = UInt32(length - used)
        }
        return used > 0
    }

    /// The connection's carry chunk, taken from the slab on first need.
    mutating func carryChunk(slot: UInt32) -> UnsafeMutableRawPointer? {
        let connection = table[slot]
        if connection.pointee.carryChunk == ChunkSlab.none {
            guard let id = slab.allocate() else { return nil }
            connection.pointee.carryChunk = id
            connection.pointee.carryLength = 0
        }
        return slab.pointer(connection.pointee.carryChunk)
    }

    mutating func releaseCarry(slot: UInt32) {
        let connection = table[slot]
        if connection.pointee.carryChunk != ChunkSlab.none { slab.release(connection.pointee.carryChunk) }
        connection.pointee.carryChunk = ChunkSlab.none
        connection.pointee.carryLength = 0
    }
}
