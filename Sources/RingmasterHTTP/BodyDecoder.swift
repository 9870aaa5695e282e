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
    ///
    /// A struct over the raw byte rather than an enum, so reading it out of `packed`
    /// is a mask, not a call to a failable `init(rawValue:)`.
    @usableFromInline
    struct Phase: Equatable {
        /// The phase number stored in bits 0–7 of `packed`.
        @usableFromInline let raw: UInt8

        /// Wraps a phase number.
        @inlinable init(_ raw: UInt8) { self.raw = raw }

        /// No body left to read.
        @inlinable static var complete: Phase { Phase(0) }
        /// Inside a Content-Length body; `counter` bytes remain.
        @inlinable static var fixed: Phase { Phase(1) }
        /// At the first hex digit of a chunk-size.
        @inlinable static var sizeStart: Phase { Phase(2) }
        /// Inside chunk-size digits; `counter` is the value so far, `aux` the digit count.
        @inlinable static var sizeDigits: Phase { Phase(3) }
        /// After chunk-size: BWS, then ";" or CR.
        @inlinable static var afterSize: Phase { Phase(4) }
        /// Inside a chunk-ext, skipped up to CR.
        @inlinable static var chunkExtension: Phase { Phase(5) }
        /// After the CR that ends a chunk line; `counter` is the chunk size.
        @inlinable static var sizeLF: Phase { Phase(6) }
        /// Inside chunk-data; `counter` bytes remain.
        @inlinable static var data: Phase { Phase(7) }
        /// Expecting the CR after chunk-data.
        @inlinable static var dataCR: Phase { Phase(8) }
        /// Expecting the LF after chunk-data.
        @inlinable static var dataLF: Phase { Phase(9) }
        /// At the start of a trailer field line or the final CRLF.
        @inlinable static var trailerStart: Phase { Phase(10) }
        /// Inside a trailer field name.
        @inlinable static var trailerName: Phase { Phase(11) }
        /// Inside a trailer field value.
        @inlinable static var trailerValue: Phase { Phase(12) }
        /// Expecting the LF ending a trailer field line.
        @inlinable static var trailerLF: Phase { Phase(13) }
        /// Expecting the LF of the final CRLF.
        @inlinable static var finalLF: Phase { Phase(14) }
        /// The framing was invalid; `aux` is the status code.
        @inlinable static var failed: Phase { Phase(15) }
    }

    /// An idle decoder: no body.
    @inlinable
    public init() {
        counter = 0
        packed = UInt64(Phase.complete.raw)
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
        get { Phase(UInt8(truncatingIfNeeded: packed)) }
        set { packed = (packed & ~0xFF) | UInt64(newValue.raw) }
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
