// Receiving: multishot recv with provided buffers, parsing in place, carrying a split request
// head over in a slab chunk, holding buffers while the output has no room (backpressure), and
// parking connections the buffer ring cannot serve (ENOBUFS).
import Glibc

extension Worker {
    /// Multishot recv with buffer select from the pool's current group. The group rides in
    /// user_data, so even a stale completion returns its buffer to the right ring.
    mutating func submitRecv(slot: UInt32) {
        let group = receive.pool.currentGroup
        ring.prepareMultishotRecv(slot: slot, group: group,
                                  userData: UserData(slot: slot, operation: .recv, buffer: group, generation: table[slot].pointee.generation))
    }

    mutating func handleRecv(_ data: UserData, _ completion: Completion) {
        let slot = data.slot
        let connection = table[slot]
        let buffer = completion.bufferID
        guard connection.pointee.generation == data.generation, connection.pointee.isOpen else {
            // A completion for a previous occupant of the slot: drop it, keep its buffer.
            if let buffer { receive.pool.recycle(group: data.buffer, id: buffer) }
            return
        }
        switch completion.outcome {
        case .done(let count) where count > 0:
            link.statistics.add(.bytesIn, UInt64(count))
            let id = buffer ?? 0
            received(slot: slot, group: data.buffer, id: id, count: count)
        case .done:
            if tls.isOn(slot) && tls[slot].pointee.handshaking && tls[slot].pointee.started { link.statistics.add(.tlsFailuresClosed) }
            perform(connection.pointee.machine.peerShutdown(facts(slot)), slot: slot)
            return
        case .noBuffers:
            perform(connection.pointee.machine.noBuffers(), slot: slot)
            return
        case .cancelled:
            // The stop backpressure asked for: receiveEnded below re-arms if it is over.
            break
        default:
            if let buffer { receive.pool.recycle(group: data.buffer, id: buffer) }
            link.statistics.add(.peerErrors)
            if tls.isOn(slot) && tls[slot].pointee.handshaking && tls[slot].pointee.started { link.statistics.add(.tlsFailuresClosed) }
            perform(connection.pointee.machine.failed(), slot: slot)
            return
        }
        guard connection.pointee.generation == data.generation, connection.pointee.isOpen else { return }
        if !completion.hasMore && !perform(connection.pointee.machine.receiveEnded(), slot: slot) { return }
        updateTimer(slot: slot)
    }

    /// `count` bytes in buffer `id` of `group`: parsed in place, held for later, or dropped.
    mutating func received(slot: UInt32, group: UInt16, id: UInt16, count: Int) {
        let connection = table[slot]
        let bytes = UnsafeRawBufferPointer(start: receive.pool.buffer(group: group, id: id), count: count)
        switch connection.pointee.machine.received() {
        case .parse:
            let used = tls.isOn(slot) ? decryptInput(slot: slot, bytes) : consumeInput(slot: slot, bytes)
            if used < count && connection.pointee.isOpen && connection.pointee.machine.isInputWaiting {
                // The output filled: the rest of this buffer waits with it (no copy).
                receive.held.append(slot: slot, group: group, id: id, offset: used, length: count)
                flushOutput(slot: slot)
                return
            }
        case .hold:
            receive.held.append(slot: slot, group: group, id: id, offset: 0, length: count)
            return
        case .discard:
            discard(slot: slot, count: count)
        }
        // Parsed: the buffer goes back at once, never held until the send completes.
        receive.pool.recycle(group: group, id: id)
        if connection.pointee.isOpen { flushOutput(slot: slot) }
    }

    /// Bytes read while closing are dropped; a client that keeps sending past the lingering
    /// cap is closed (docs/connections.md, "Lingering close").
    mutating func discard(slot: UInt32, count: Int) {
        let connection = table[slot]
        connection.pointee.discarded = UInt32(clamping: UInt64(connection.pointee.discarded) + UInt64(count))
        if connection.pointee.discarded > policy.timeouts.lingerBytes { perform(connection.pointee.machine.failed(), slot: slot) }
    }

    /// Consumes received bytes: parsed in place when nothing is carried over, otherwise
    /// appended to the carry chunk and parsed there. Returns the bytes taken; fewer than
    /// `bytes.count` only when the output filled (the caller keeps the rest).
    mutating func consumeInput(slot: UInt32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let connection = table[slot]
        let generation = connection.pointee.generation
        var input = bytes
        if connection.pointee.carryLength == 0 {
            let used = processInput(slot: slot, input)
            input = UnsafeRawBufferPointer(rebasing: input[used...])
        }
        while !input.isEmpty && connection.pointee.generation == generation && connection.pointee.machine.acceptsRequests {
            if connection.pointee.machine.isInputWaiting { return bytes.count - input.count }
            guard let carry = carryChunk(slot: slot) else {
                perform(connection.pointee.machine.failed(), slot: slot)
                return bytes.count
            }
            let length = Int(connection.pointee.carryLength)
            let n = min(slab.chunkSize - length, input.count)
            (carry + length).copyMemory(from: input.baseAddress!, byteCount: n)
            connection.pointee.carryLength += UInt32(n)
            input = UnsafeRawBufferPointer(rebasing: input[n...])
            let progressed = processCarry(slot: slot)
            if !progressed && Int(connection.pointee.carryLength) == slab.chunkSize && !connection.pointee.machine.isInputWaiting {
                // A full carry chunk without a complete head.
                respondError(slot: slot, status: .requestHeaderFieldsTooLarge)
                return bytes.count
            }
        }
        return bytes.count
    }

    /// Input that waited for output room: the carry first, then the held buffers in order,
    /// until the output fills again or everything is parsed.
    mutating func resumeInput(slot: UInt32) {
        let connection = table[slot]
        let generation = connection.pointee.generation
        if connection.pointee.carryLength > 0 { processCarry(slot: slot) }
        // TLS: plaintext OpenSSL decrypted but the parser had no room for comes first.
        if tls.isOn(slot) && connection.pointee.generation == generation && !connection.pointee.machine.isInputWaiting
            && connection.pointee.machine.acceptsRequests {
            _ = decryptInput(slot: slot, UnsafeRawBufferPointer(start: nil, count: 0))
        }
        while connection.pointee.generation == generation && !connection.pointee.machine.isInputWaiting,
              let held = receive.held.first(slot) {
            guard connection.pointee.machine.acceptsRequests else { break }
            let bytes = UnsafeRawBufferPointer(start: receive.pool.buffer(group: held.group, id: held.id) + Int(held.offset),
                                               count: Int(held.length - held.offset))
            let used = tls.isOn(slot) ? decryptInput(slot: slot, bytes) : consumeInput(slot: slot, bytes)
            guard connection.pointee.generation == generation else { return }
            if used < bytes.count && connection.pointee.machine.isInputWaiting {
                receive.held.advanceFirst(slot, by: used)
                break
            }
            let done = receive.held.removeFirst(slot)
            receive.pool.recycle(group: done.group, id: done.id)
        }
        guard connection.pointee.generation == generation, connection.pointee.isOpen else { return }
        // Closing: what is still held will never be parsed.
        if !connection.pointee.machine.acceptsRequests { releaseHeldInput(slot: slot) }
        perform(connection.pointee.machine.inputResumed(stillWaiting: connection.pointee.machine.isInputWaiting, facts(slot)), slot: slot)
    }

    /// Recycles every buffer `slot` holds.
    mutating func releaseHeldInput(slot: UInt32) {
        while receive.held.holds(slot) {
            let held = receive.held.removeFirst(slot)
            receive.pool.recycle(group: held.group, id: held.id)
        }
    }

    /// Puts a connection whose recv ended with ENOBUFS on the starved FIFO, and grows the pool
    /// by a group when it may.
    mutating func park(slot: UInt32) {
        receive.starved.append(slot)
        link.statistics.add(.bufferStarvations)
        let widened = receive.pool.widen()
        if widened > 0 {
            rearmStarved(budget: widened)
        } else if receive.pool.groupCount < receive.pool.maxGroups, (try? receive.pool.grow(ring: ring)) == true {
            link.statistics.add(.bufferGroupsAdded)
            // A fresh group: every parked connection can be re-armed on it now.
            rearmStarved(budget: Int(receive.pool.count))
        }
    }

    /// Re-arms parked connections, oldest first, about one per buffer that came back (each
    /// needs at least one), so a burst is served in turn instead of all re-arming into a
    /// ring that can satisfy only a few.
    mutating func rearmStarved(budget: Int) {
        var remaining = min(budget, receive.starved.count)
        while remaining > 0 {
            let slot = receive.starved.removeFirst()
            remaining -= 1
            perform(table[slot].pointee.machine.buffersReturned(), slot: slot)
        }
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
        if used == length || !connection.pointee.machine.acceptsRequests {
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
