// Helpers shared by the RingmasterHTTP tests: parsing from byte arrays, a summary of a
// parsed head that is easy to compare, a small stream driver that plays the worker's
// role (accumulate, parse a head, decode its body, repeat) and a seeded generator.

import RingmasterHTTP

/// The bytes of an ASCII/UTF-8 string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A parsed head with its fields copied out, for comparisons in tests.
struct HeadSummary: Equatable, CustomStringConvertible {
    var method: HTTPMethod
    var methodName: String
    var target: String
    var version: HTTPVersion
    var headers: [String]
    var framing: BodyFraming
    var keepAlive: Bool
    var connectionClose: Bool
    var expectContinue: Bool
    var hostPresent: Bool
    var headLength: Int

    var description: String {
        "\(methodName) \(target) \(version) \(headers) \(framing) keepAlive=\(keepAlive) close=\(connectionClose) "
            + "expect=\(expectContinue) host=\(hostPresent) headLength=\(headLength)"
    }

    /// Copies `head` and `fields` out of `buffer`. Values are decoded leniently so
    /// obs-text shows up as replacement characters unless it was valid UTF-8.
    init(_ head: RequestHead, fields: UnsafeMutableBufferPointer<HTTPHeaderField>, buffer: UnsafeRawBufferPointer) {
        method = head.method
        methodName = String(decoding: head.methodName(in: buffer), as: UTF8.self)
        target = String(decoding: head.target(in: buffer), as: UTF8.self)
        version = head.version
        headers = (0..<head.headerCount).map { index in
            let field = fields[index]
            return String(decoding: field.name(in: buffer), as: UTF8.self) + ": "
                + String(decoding: field.value(in: buffer), as: UTF8.self)
        }
        framing = head.framing
        keepAlive = head.keepAlive
        connectionClose = head.connectionClose
        expectContinue = head.expectContinue
        hostPresent = head.hostPresent
        headLength = head.headLength
    }
}

/// The result of `parse`, with the head summarised.
enum Parsed: Equatable {
    case complete(HeadSummary)
    case needMore
    case error(UInt16)
}

/// Parses a request head from `input` with `capacity` field slots.
func parse(_ input: [UInt8], limits: HTTPLimits = HTTPLimits(), capacity: Int = 64) -> Parsed {
    let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: capacity)
    fields.initialize(repeating: HTTPHeaderField())
    defer { fields.deallocate() }
    return input.withUnsafeBytes { buffer in
        switch RequestParser.parseHead(buffer, headers: fields, limits: limits) {
        case .complete(let head): return .complete(HeadSummary(head, fields: fields, buffer: buffer))
        case .needMore: return .needMore
        case .error(let status): return .error(status.rawValue)
        }
    }
}

/// What the stream driver saw, in order.
enum StreamEvent: Equatable {
    case head(HeadSummary)
    case body([UInt8])
    case error(UInt16)
}

/// Plays the worker: accumulates bytes, parses a head, decodes its body, repeats.
struct StreamDriver {
    var limits = HTTPLimits()
    var pending: [UInt8] = []
    var decoder: BodyDecoder?
    var body: [UInt8] = []
    var events: [StreamEvent] = []
    var failed = false

    /// Feeds the next piece of the stream.
    mutating func feed(_ piece: ArraySlice<UInt8>) {
        pending += piece
        while !failed {
            if var current = decoder {
                let step = pending.withUnsafeBytes { current.decode($0, limits: limits) }
                decoder = current
                precondition(step.consumed <= pending.count && step.dataStart + step.dataLength <= step.consumed)
                body += pending[step.dataStart..<step.dataStart + step.dataLength]
                pending.removeFirst(step.consumed)
                switch step.state {
                case .done:
                    events.append(.body(body))
                    body = []
                    decoder = nil
                case .error(let status):
                    events.append(.error(status.rawValue))
                    failed = true
                case .more:
                    if step.consumed == 0 || pending.isEmpty { return }
                }
            } else {
                switch parseHeadOnly() {
                case .needMore:
                    return
                case .error(let status):
                    events.append(.error(status))
                    failed = true
                case .complete(let summary, let framing):
                    events.append(.head(summary))
                    pending.removeFirst(summary.headLength)
                    decoder = BodyDecoder(framing: framing)
                }
            }
        }
    }

    /// The head result for the pending bytes, with the framing needed to decode the body.
    private func parseHeadOnly() -> HeadOnly {
        let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 64)
        fields.initialize(repeating: HTTPHeaderField())
        defer { fields.deallocate() }
        return pending.withUnsafeBytes { buffer in
            switch RequestParser.parseHead(buffer, headers: fields, limits: limits) {
            case .complete(let head): return .complete(HeadSummary(head, fields: fields, buffer: buffer), head.framing)
            case .needMore: return .needMore
            case .error(let status): return .error(status.rawValue)
            }
        }
    }

    /// A head parse result in the driver.
    private enum HeadOnly {
        case complete(HeadSummary, BodyFraming)
        case needMore
        case error(UInt16)
    }
}

/// Runs a whole stream through a driver, split into `pieces`.
func drive(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits = HTTPLimits()) -> [StreamEvent] {
    var driver = StreamDriver(limits: limits)
    for piece in pieces { driver.feed(piece) }
    return driver.events
}

/// SplitMix64: a tiny deterministic generator so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        // Safe: SplitMix64 is defined with wrapping arithmetic.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        // Safe: as above.
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        // Safe: as above.
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
