// TLS between the ring and the parser (docs/tls.md): ciphertext from the provided buffers is
// decrypted into the carry chunk and parsed there; plaintext the output, a body stream or a
// handler would send is encrypted into the connection's cipher chunk and that is sent instead,
// its completion reported to the plaintext send's owner as if the kernel had sent the
// plaintext. OpenSSL sees only memory (ctls_io); no call here blocks.
import CTLS
import Glibc

extension Worker {
    /// A connection accepted on a TLS listener: its session starts in the handshake.
    mutating func openTLS(slot: UInt32) -> Bool {
        guard tls.open(slot) else {
            link.logger.warning("worker \(link.index): OpenSSL could not make a session (out of memory): connection closed")
            return false
        }
        return true
    }

    /// Ciphertext received on a TLS connection. Returns the bytes taken, fewer than
    /// `bytes.count` only when the output filled (the caller holds the rest), as
    /// `consumeInput` does for plaintext.
    mutating func decryptInput(slot: UInt32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let connection = table[slot]
        let generation = connection.pointee.generation
        var input = bytes
        if connection.pointee.awaitsProxyHeader && !input.isEmpty {
            // The PROXY header comes before the ClientHello, in the clear, in the first
            // segment (HAProxy and the cloud balancers send it so); one split is refused.
            guard let length = takeProxyHeader(slot: slot, input) else {
                if connection.pointee.isOpen { refuseProxyHeader(slot: slot) }
                return bytes.count
            }
            input = UnsafeRawBufferPointer(rebasing: input[length...])
        }
        let session = tls[slot]
        session.pointee.io.in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        session.pointee.io.in_len = input.count
        session.pointee.io.in_used = 0
        if session.pointee.handshaking {
            if !session.pointee.started && input.count > 0 {
                session.pointee.started = true
                if Worker.looksLikePlainHTTP(input[0]) {
                    answerPlainHTTP(slot: slot)
                    return bytes.count
                }
            }
            guard driveHandshake(slot: slot) else { return bytes.count }
        }
        while connection.pointee.generation == generation && connection.pointee.machine.acceptsRequests {
            if connection.pointee.machine.isInputWaiting { return bytes.count - input.count + session.pointee.io.in_used }
            guard let carry = carryChunk(slot: slot) else {
                perform(connection.pointee.machine.failed(), slot: slot)
                return bytes.count
            }
            let length = Int(connection.pointee.carryLength)
            let room = slab.chunkSize - length
            guard room > 0 else {
                // A full carry chunk without a complete head.
                respondError(slot: slot, status: .requestHeaderFieldsTooLarge)
                return bytes.count
            }
            let n = SSL_read(session.pointee.ssl, carry + length, Int32(clamping: room))
            if n > 0 {
                connection.pointee.carryLength += UInt32(n)
                let progressed = processCarry(slot: slot)
                if !progressed && Int(connection.pointee.carryLength) == slab.chunkSize && !connection.pointee.machine.isInputWaiting
                    && connection.pointee.generation == generation && connection.pointee.isOpen {
                    respondError(slot: slot, status: .requestHeaderFieldsTooLarge)
                    return bytes.count
                }
                continue
            }
            switch SSL_get_error(session.pointee.ssl, n) {
            case Int32(CTLS_ERROR_WANT_READ):
                // Everything given was taken (a partial record waits inside OpenSSL).
                sendRecords(slot: slot)
                return bytes.count
            case Int32(CTLS_ERROR_WANT_WRITE):
                // A record to send (a TLS 1.3 KeyUpdate answer) and no cipher chunk yet.
                guard tls.prepareOutput(slot, slab: &slab) else {
                    perform(connection.pointee.machine.failed(), slot: slot)
                    return bytes.count
                }
            case Int32(CTLS_ERROR_ZERO_RETURN):
                // close_notify: the client is done sending, as a FIN says.
                perform(connection.pointee.machine.peerShutdown(facts(slot)), slot: slot)
                return bytes.count
            default:
                session.pointee.broken = true
                link.statistics.add(.peerErrors)
                perform(connection.pointee.machine.failed(), slot: slot)
                return bytes.count
            }
        }
        return bytes.count
    }

    /// Runs the handshake as far as the input allows and sends what it wrote. True when it
    /// finished and the connection is still open (application data may follow in the input).
    mutating func driveHandshake(slot: UInt32) -> Bool {
        let session = tls[slot]
        while true {
            guard tls.prepareOutput(slot, slab: &slab) else {
                perform(table[slot].pointee.machine.failed(), slot: slot)
                return false
            }
            let result = SSL_do_handshake(session.pointee.ssl)
            if result == 1 { break }
            switch SSL_get_error(session.pointee.ssl, result) {
            case Int32(CTLS_ERROR_WANT_READ):
                if session.pointee.io.out_len == 0 && session.pointee.inFlight == 0 {
                    // Waiting for the rest of a ClientHello: no chunk held meanwhile.
                    tls.drained(slot, slab: &slab)
                } else {
                    sendRecords(slot: slot)
                }
                return false
            case Int32(CTLS_ERROR_WANT_WRITE):
                // The flight is larger than the chunk's room: send, and continue when it is sent.
                if session.pointee.inFlight > 0 || tls.unsent(slot) != nil {
                    sendRecords(slot: slot)
                    return false
                }
            default:
                // A protocol error or a fatal alert; OpenSSL wrote an alert the close sends.
                session.pointee.broken = true
                link.statistics.add(.tlsFailuresProtocol)
                ERR_clear_error()
                perform(table[slot].pointee.machine.failed(), slot: slot)
                return false
            }
        }
        session.pointee.handshaking = false
        link.statistics.add(ctls_version(session.pointee.ssl) == Int32(CTLS_TLS1_3_VERSION) ? .tlsHandshakes13 : .tlsHandshakes12)
        if ctls_session_reused(session.pointee.ssl) != 0 { link.statistics.add(.tlsResumed) }
        link.statistics.add(TLSCipher.counter(code: ctls_cipher_code(session.pointee.ssl)))
        sendRecords(slot: slot)
        guard table[slot].pointee.isOpen else { return false }
        // The handshake timer gives way to the header or idle timer.
        updateTimer(slot: slot)
        return true
    }

    /// A first byte that starts an HTTP method (an upper-case letter) cannot start a TLS record
    /// (content types are 20 to 24).
    static func looksLikePlainHTTP(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }

    /// Plain HTTP on the TLS port: answered in plain HTTP with 400, then closed, as nginx does
    /// ("The plain HTTP request was sent to HTTPS port").
    mutating func answerPlainHTTP(slot: UInt32) {
        link.statistics.add(.tlsFailuresPlaintext)
        tls.close(slot, slab: &slab)
        respondError(slot: slot, status: .badRequest)
        if table[slot].pointee.isOpen { flushOutput(slot: slot) }
    }

    /// A PROXY header that is missing or split over segments on a TLS listener.
    mutating func refuseProxyHeader(slot: UInt32) {
        link.statistics.add(.proxyHeaderErrors)
        perform(table[slot].pointee.machine.failed(), slot: slot)
    }

    /// Sends `count` bytes at `bytes` for the operation `userData` stands for: as they are on a
    /// plain connection, else encrypted into the cipher chunk (as much as its room takes) and
    /// that sent; the owner's completion comes once those records are sent, with the plaintext
    /// count. False (nothing submitted) when the session or the slab failed: the caller closes.
    mutating func transmit(slot: UInt32, bytes: UnsafeRawPointer, count: Int, userData: UserData) -> Bool {
        guard tls.isOn(slot) else {
            ring.prepareSend(slot: slot, bytes: bytes, count: count, userData: userData)
            return true
        }
        let session = tls[slot]
        guard !session.pointee.broken, tls.prepareOutput(slot, slab: &slab) else { return false }
        let plaintext = tls.plaintextRoom(slot, count: count)
        guard plaintext > 0 else {
            link.statistics.add(.protocolOverflows)
            return false
        }
        let written = SSL_write(session.pointee.ssl, bytes, Int32(plaintext))
        guard written > 0 else {
            session.pointee.broken = true
            ERR_clear_error()
            return false
        }
        let header = slab.pointer(session.pointee.chunk)
        header.storeBytes(of: userData.rawValue, as: UInt64.self)
        header.storeBytes(of: Int64(written), toByteOffset: 8, as: Int64.self)
        sendRecords(slot: slot)
        return true
    }

    /// Starts a send of the records not yet sent, unless one is in flight (its completion
    /// sends the rest).
    mutating func sendRecords(slot: UInt32) {
        guard let (bytes, count) = tls.unsent(slot) else { return }
        let session = tls[slot]
        session.pointee.inFlight = UInt32(count)
        ring.prepareSend(slot: slot, bytes: bytes, count: count,
                         userData: UserData(slot: slot, operation: .tlsSend, buffer: UInt16(truncatingIfNeeded: session.pointee.chunk),
                                            generation: table[slot].pointee.generation))
    }

    /// A send of cipher records completed. Once every record is sent, the plaintext send they
    /// stand for (the chunk's header) completes with its plaintext count, stale or not, so its
    /// owner frees what it holds exactly as for a plain send.
    mutating func handleTLSSend(_ data: UserData, _ completion: Completion) {
        let slot = data.slot
        let chunk = UInt32(data.buffer)
        let header = slab.pointer(chunk)
        let owed = UserData(rawValue: header.load(as: UInt64.self))
        let plaintext = header.load(fromByteOffset: 8, as: Int64.self)
        let connection = table[slot]
        guard connection.pointee.generation == data.generation, connection.pointee.isOpen, tls.isOn(slot) else {
            slab.release(chunk)
            if owed.rawValue != 0 { dispatch(owed, Completion(result: -ECANCELED, flags: 0)) }
            return
        }
        let session = tls[slot]
        session.pointee.inFlight = 0
        guard case .done(let sent) = completion.outcome, sent > 0 else {
            if session.pointee.farewell {
                // A close_notify the socket had no room for: the shutdown goes on without it.
                tls.drained(slot, slab: &slab)
                return
            }
            header.storeBytes(of: 0, as: UInt64.self)
            if owed.rawValue != 0 {
                dispatch(owed, Completion(result: completion.result < 0 ? completion.result : -EPIPE, flags: 0))
            } else {
                link.statistics.add(.peerErrors)
                perform(connection.pointee.machine.failed(), slot: slot)
            }
            return
        }
        session.pointee.sent += UInt32(sent)
        if tls.unsent(slot) != nil {
            // A short send, or records appended while it was in flight.
            sendRecords(slot: slot)
            return
        }
        tls.drained(slot, slab: &slab)
        if owed.rawValue != 0 {
            dispatch(owed, Completion(result: Int32(plaintext), flags: 0))
        } else if session.pointee.handshaking {
            // A flight larger than the chunk continues now that its first part is sent.
            _ = driveHandshake(slot: slot)
        }
    }

    /// The session's last words before the write side is shut or the descriptor closed: a
    /// close_notify (unless the session broke or never finished its handshake) and any alert
    /// OpenSSL wrote, to be sent without waiting (MSG_DONTWAIT) linked before the shutdown or
    /// close. Nil when there is nothing to send or a send is still in flight.
    mutating func tlsFarewell(slot: UInt32) -> (bytes: UnsafeRawPointer, count: Int, chunk: UInt32)? {
        let session = tls[slot]
        guard session.pointee.inFlight == 0 else { return nil }
        if !session.pointee.broken && !session.pointee.handshaking && !session.pointee.farewell,
           tls.prepareOutput(slot, slab: &slab) {
            if SSL_shutdown(session.pointee.ssl) >= 0 { link.statistics.add(.tlsCloseNotify) }
            ERR_clear_error()
        }
        session.pointee.farewell = true
        guard let (bytes, count) = tls.unsent(slot) else { return nil }
        slab.pointer(session.pointee.chunk).storeBytes(of: 0, as: UInt64.self)
        session.pointee.inFlight = UInt32(count)
        return (bytes, count, session.pointee.chunk)
    }
}
