// The chunked transfer coding state machine (RFC 9112 §7.1). Framing bytes are fed one
// at a time through `advance`, so the result never depends on how the stream was split;
// chunk data is handed out as whole spans without touching each byte.

extension BodyDecoder {
    /// Longest chunk line (size digits, BWS and extensions) we skip before giving up;
    /// RFC 9112 §7.1.1 lets a server limit extension length and reject with 400.
    static let maxChunkLineLength: UInt16 = 4096
    /// Most chunk-size digits: 16 hex digits fill a UInt64.
    static let maxChunkSizeDigits: UInt16 = 16

    /// Decodes everything except a Content-Length body: the finished and failed states
    /// and the chunked coding.
    @usableFromInline
    mutating func decodeFraming(_ buffer: UnsafeRawBufferPointer, limits: HTTPLimits) -> BodyStep {
        switch phase {
        case .complete:
            return BodyStep(consumed: 0, dataStart: 0, dataLength: 0, state: .done)
        case .failed:
            return BodyStep(consumed: 0, dataStart: 0, dataLength: 0, state: .error(HTTPStatus(rawValue: aux)))
        default:
            break
        }
        guard let raw = buffer.baseAddress, !buffer.isEmpty else {
            return BodyStep(consumed: 0, dataStart: 0, dataLength: 0, state: .more)
        }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = buffer.count
        var i = 0
        var dataStart = 0
        var dataLength = 0
        while i < n {
            if phase == .data {
                // One data span per call: stop before the next chunk's data.
                if dataLength > 0 { break }
                let take = Int(min(counter, UInt64(n - i)))
                dataStart = i
                dataLength = take
                i += take
                // Safe: take <= counter.
                counter &-= UInt64(take)
                if counter == 0 { phase = .dataCR }
                continue
            }
            let byte = p[i]
            i += 1
            if let status = advance(byte, limits: limits) {
                phase = .failed
                aux = status.rawValue
                return BodyStep(consumed: i, dataStart: dataStart, dataLength: dataLength, state: .error(status))
            }
            if phase == .complete {
                return BodyStep(consumed: i, dataStart: dataStart, dataLength: dataLength, state: .done)
            }
        }
        return BodyStep(consumed: i, dataStart: dataStart, dataLength: dataLength, state: .more)
    }

    /// Feeds one framing byte; returns the error status if it makes the body invalid.
    @inline(__always)
    mutating func advance(_ byte: UInt8, limits: HTTPLimits) -> HTTPStatus? {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        switch phase {
        case .sizeStart:
            // chunk-size = 1*HEXDIG: no digit at all is 400.
            guard ASCII.isHexDigit(byte) else { return .badRequest }
            counter = ASCII.hexValue(byte)
            aux = 1
            phase = .sizeDigits
        case .sizeDigits:
            if ASCII.isHexDigit(byte) {
                // More digits than a UInt64 holds is 400: RFC 9112 §7.1 says recipients
                // MUST anticipate large hex numbers and prevent overflow errors.
                guard aux < Self.maxChunkSizeDigits else { return .badRequest }
                // Safe: aux < 16 here.
                aux &+= 1
                counter = counter << 4 | ASCII.hexValue(byte)
                return nil
            }
            // The size is complete: the running total must stay within the body limit
            // (RFC 9110 §15.5.14 413). Commit the whole chunk to the total now.
            let limit = min(limits.maxBodyBytes, Self.maxChunkedTotal)
            let sum = total
            guard sum <= limit, counter <= limit - sum else { return .payloadTooLarge }
            total = sum + counter
            phase = .afterSize
            return afterSize(byte)
        case .afterSize:
            return afterSize(byte)
        case .chunkExtension:
            // chunk-ext is skipped (RFC 9112 §7.1.1: a recipient MUST ignore unrecognised
            // extensions) but stays bounded and free of controls other than HTAB.
            guard aux < Self.maxChunkLineLength else { return .badRequest }
            // Safe: aux < 4096 here.
            aux &+= 1
            if byte == cr {
                phase = .sizeLF
            } else if !ASCII.isFieldValueChar(byte) {
                return .badRequest
            }
        case .sizeLF:
            // A chunk line ends with CRLF; CR followed by anything else is 400.
            guard byte == lf else { return .badRequest }
            phase = counter == 0 ? .trailerStart : .data
        case .dataCR:
            // chunk-data is followed by CRLF; a bare LF or any other byte is 400.
            guard byte == cr else { return .badRequest }
            phase = .dataLF
        case .dataLF:
            guard byte == lf else { return .badRequest }
            phase = .sizeStart
        default:
            return trailer(byte, limits: limits)
        }
        return nil
    }

    /// After chunk-size: BWS before ";" is tolerated (RFC 9112 §7.1.1), then an
    /// extension or the CR of the line's CRLF. A bare LF is 400 (strict, as in the head).
    @inline(__always)
    mutating func afterSize(_ byte: UInt8) -> HTTPStatus? {
        guard aux < Self.maxChunkLineLength else { return .badRequest }
        // Safe: aux < 4096 here.
        aux &+= 1
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"):
            return nil
        case UInt8(ascii: ";"):
            phase = .chunkExtension
        case UInt8(ascii: "\r"):
            phase = .sizeLF
        default:
            return .badRequest
        }
        return nil
    }

    /// The trailer section (RFC 9112 §7.1.2): field lines parsed and discarded, then the
    /// final CRLF. Its size is bounded by `maxHeaderBytes` (431, as for the head).
    mutating func trailer(_ byte: UInt8, limits: HTTPLimits) -> HTTPStatus? {
        // Safe: counter is at most maxHeaderBytes + 1 here, far from overflow.
        counter &+= 1
        guard counter <= UInt64(max(limits.maxHeaderBytes, 0)) else { return .requestHeaderFieldsTooLarge }
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        switch phase {
        case .trailerStart:
            // A bare LF, obs-fold (SP/HTAB, RFC 9112 §5.2) or an empty name is 400.
            if byte == cr {
                phase = .finalLF
            } else if ASCII.isTokenChar(byte) {
                phase = .trailerName
            } else {
                return .badRequest
            }
        case .trailerName:
            // No whitespace between name and colon (RFC 9112 §5.1).
            if byte == UInt8(ascii: ":") {
                phase = .trailerValue
            } else if !ASCII.isTokenChar(byte) {
                return .badRequest
            }
        case .trailerValue:
            // Controls other than HTAB, and DEL, are 400 (RFC 9110 §5.5).
            if byte == cr {
                phase = .trailerLF
            } else if !ASCII.isFieldValueChar(byte) {
                return .badRequest
            }
        case .trailerLF:
            guard byte == lf else { return .badRequest }
            phase = .trailerStart
        case .finalLF:
            guard byte == lf else { return .badRequest }
            phase = .complete
        default:
            // .complete, .failed, .fixed and .data never reach here.
            return .internalServerError
        }
        return nil
    }
}
