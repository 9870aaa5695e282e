// The incremental request-body decoder. Its state is two words so it fits in the
// 64-byte connection record; it is fed whatever bytes arrive and behaves the same for
// any split of the stream. Content-Length bodies are handled inline here; the chunked
// state machine is in BodyDecoder+Chunked.swift.

/// Incremental request-body decoder whose state is 16 bytes.
///
/// Layout: `counter` holds the per-phase number (bytes left in a Content-Length body or a
/// chunk, the chunk-size accumulator, or trailer bytes seen). `packed` holds the phase
/// (bits 0–7), a 16-bit auxiliary value (bits 8–23: chunk-line length, or the status
/// code after an error) and the chunked body total so far (bits 24–63). The 40-bit total
/// caps chunked bodies at 1 TiB whatever `maxBodyBytes` says.
public struct BodyDecoder: Sendable {
    /// Per-phase counter; see the type's comment.
    @usableFromInline var counter: UInt64
    /// Phase, auxiliary value and chunked total; see the type's comment.
    @usableFromInline var packed: UInt64

    /// The largest chunked body total the packed state can hold (2^40 - 1).
    static let maxChunkedTotal: UInt64 = (1 << 40) - 1

    /// Where the decoder is in the body's grammar (RFC 9112 §6.3, §7.1).
    @usableFromInline
    enum Phase: UInt8 {
        /// No body left to read.
        case complete
        /// Inside a Content-Length body; `counter` bytes remain.
        case fixed
        /// At the first hex digit of a chunk-size.
        case sizeStart
        /// Inside chunk-size digits; `counter` is the value so far.
        case sizeDigits
        /// After chunk-size: BWS, then ";" or CR.
        case afterSize
        /// Inside a chunk-ext, skipped up to CR.
        case chunkExtension
        /// After the CR that ends a chunk line; `counter` is the chunk size.
        case sizeLF
        /// Inside chunk-data; `counter` bytes remain.
        case data
        /// Expecting the CR after chunk-data.
        case dataCR
        /// Expecting the LF after chunk-data.
        case dataLF
        /// At the start of a trailer field line or the final CRLF.
        case trailerStart
        /// Inside a trailer field name.
        case trailerName
        /// Inside a trailer field value.
        case trailerValue
        /// Expecting the LF ending a trailer field line.
        case trailerLF
        /// Expecting the LF of the final CRLF.
        case finalLF
        /// The framing was invalid; `aux` is the status code.
        case failed
    }

    /// An idle decoder: no body.
    @inlinable
    public init() {
        counter = 0
        packed = UInt64(Phase.complete.rawValue)
    }

    /// A decoder for a body with the given framing; `.none` is immediately complete.
    @inlinable
    public init(framing: BodyFraming) {
        self.init()
        switch framing {
        case .none:
            break
        case .contentLength(let length):
            if length > 0 {
                counter = length
                phase = .fixed
            }
        case .chunked:
            phase = .sizeStart
        }
    }

    /// Whether the whole body has been decoded (also true for no body).
    @inlinable
    public var isComplete: Bool { phase == .complete }

    /// The current phase (bits 0–7 of `packed`).
    @inlinable
    var phase: Phase {
        get { Phase(rawValue: UInt8(truncatingIfNeeded: packed)) ?? .failed }
        set { packed = (packed & ~0xFF) | UInt64(newValue.rawValue) }
    }

    /// The auxiliary value (bits 8–23 of `packed`).
    var aux: UInt16 {
        get { UInt16(truncatingIfNeeded: packed >> 8) }
        set { packed = (packed & ~0xFF_FF00) | (UInt64(newValue) << 8) }
    }

    /// The chunked body total so far (bits 24–63 of `packed`).
    var total: UInt64 {
        get { packed >> 24 }
        set { packed = (packed & 0xFF_FFFF) | (newValue << 24) }
    }

    /// Decodes from the start of `buffer`.
    ///
    /// Returns how many bytes were consumed, the one contiguous span of body data among
    /// them (for chunked, at most the rest of the current chunk) and the state after.
    /// Loop while `consumed < buffer.count` and the state is `.more`. Bytes after the end
    /// of the body are never consumed: they are the next pipelined request.
    @inlinable
    public mutating func decode(_ buffer: UnsafeRawBufferPointer, limits: HTTPLimits) -> BodyStep {
        if phase == .fixed {
            let take = min(UInt64(buffer.count), counter)
            // Safe: take <= counter.
            counter &-= take
            if counter == 0 { phase = .complete }
            return BodyStep(
                consumed: Int(take), dataStart: 0, dataLength: Int(take),
                state: counter == 0 ? .done : .more)
        }
        return decodeFraming(buffer, limits: limits)
    }
}
