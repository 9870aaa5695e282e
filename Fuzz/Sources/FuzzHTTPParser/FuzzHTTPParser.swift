// libFuzzer entry point for RingmasterHTTP: the input is one connection's byte stream.
// It is driven the way Worker.processInput drives it (heads parsed back to back, bodies
// decoded with BodyDecoder, stop at the first error) and every result is checked with
// `precondition`, so libFuzzer reports a violated invariant as a crash. The stream is fed
// whole, split once, and in small slices; the restartable-parse contract says all three
// must give the same events. See docs/fuzzing.md.
import RingmasterHTTP

#if canImport(Glibc)
import Glibc
#endif

/// Set FUZZ_HTTP_VERBOSE=1 to print each input's events (for replaying one file).
let verbose = getenv("FUZZ_HTTP_VERBOSE") != nil

/// Everything observable about one feed, compared across feeds. Offsets are absolute
/// positions in the input; body bytes are summarised as a count and an FNV-1a hash.
enum Event: Equatable {
    /// A complete head at `offset` of `length` bytes.
    case head(offset: Int, length: Int, framing: BodyFraming, fields: Int, keepAlive: Bool)
    /// The head at `offset` was rejected.
    case headError(offset: Int, status: UInt16)
    /// A body finished at `end` after `bytes` data bytes.
    case body(end: Int, bytes: Int, hash: UInt64)
    /// A body was rejected once the input up to `end` was consumed.
    case bodyError(end: Int, status: UInt16, bytes: Int, hash: UInt64)
    /// The input ended inside a head starting at `offset`.
    case partialHead(offset: Int)
    /// The input ended inside a body, `bytes` data bytes in.
    case partialBody(bytes: Int, hash: UInt64)
}

/// FNV-1a 64-bit offset basis.
let fnvBasis: UInt64 = 0xCBF2_9CE4_8422_2325

/// Small limits so the 414/431/413 and header-count paths are reachable with short inputs.
let smallLimits = HTTPLimits(maxRequestLine: 96, maxHeaderBytes: 512, maxHeaderCount: 6, maxBodyBytes: 700)

/// tchar (RFC 9110 §5.6.2), written out independently of the library's bit masks.
func isTokenChar(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}

/// field-value byte (RFC 9110 §5.5): HTAB, SP, VCHAR, obs-text.
func isFieldValueChar(_ b: UInt8) -> Bool { b == 0x09 || (b >= 0x20 && b != 0x7F) }

/// Checks a complete head against the bytes it was parsed from.
func checkHead(
    _ head: RequestHead, in rest: UnsafeRawBufferPointer,
    headers: UnsafeMutableBufferPointer<HTTPHeaderField>, limits: HTTPLimits
) {
    let length = head.headLength
    precondition(length > 0 && length <= rest.count, "headLength \(length) outside 1...\(rest.count)")
    precondition(length <= limits.maxHeaderBytes, "head longer than maxHeaderBytes")
    precondition(length >= 4 && rest[length - 4] == 13 && rest[length - 3] == 10
                 && rest[length - 2] == 13 && rest[length - 1] == 10, "head does not end in CRLFCRLF")

    // Request line: method SP target SP version, all inside the head.
    let methodStart = Int(head.methodStart), methodLength = Int(head.methodLength)
    let targetStart = Int(head.targetStart), targetLength = Int(head.targetLength)
    precondition(methodLength > 0 && methodStart + methodLength < targetStart, "method span")
    precondition(targetLength > 0 && targetStart + targetLength + 9 <= length, "target span")
    precondition(rest[methodStart + methodLength] == 0x20 && rest[targetStart + targetLength] == 0x20, "SP")
    precondition(targetStart + targetLength - methodStart + 9 <= limits.maxRequestLine, "request line over limit")
    for k in 0..<methodStart { precondition(rest[k] == (k % 2 == 0 ? 13 : 10), "leading bytes not CRLFs") }
    for k in methodStart..<(methodStart + methodLength) { precondition(isTokenChar(rest[k]), "method byte") }
    for k in targetStart..<(targetStart + targetLength) {
        precondition(rest[k] >= 0x21 && rest[k] <= 0x7E, "target byte \(rest[k])")
    }

    // Fields: in order, inside the head, name ":" OWS value OWS.
    precondition(head.headerCount >= 0 && head.headerCount <= min(limits.maxHeaderCount, headers.count), "headerCount")
    var previousEnd = targetStart + targetLength
    for index in 0..<head.headerCount {
        let field = headers[index]
        let nameStart = Int(field.nameStart), nameLength = Int(field.nameLength)
        let valueStart = Int(field.valueStart), valueLength = Int(field.valueLength)
        precondition(nameStart > previousEnd && nameLength > 0, "field \(index) name span")
        precondition(valueStart > nameStart + nameLength, "field \(index) value before name")
        precondition(valueStart + valueLength + 2 < length, "field \(index) past head")
        precondition(rest[nameStart + nameLength] == UInt8(ascii: ":"), "field \(index) no colon")
        for k in nameStart..<(nameStart + nameLength) { precondition(isTokenChar(rest[k]), "name byte") }
        for k in valueStart..<(valueStart + valueLength) { precondition(isFieldValueChar(rest[k]), "value byte") }
        if valueLength > 0 {
            for b in [rest[valueStart], rest[valueStart + valueLength - 1]] {
                precondition(b != 0x20 && b != 0x09, "field \(index) value not trimmed")
            }
        }
        previousEnd = valueStart + valueLength
    }
    if case .contentLength(let n) = head.framing {
        precondition(n <= limits.maxBodyBytes, "Content-Length over maxBodyBytes accepted")
    }
    if head.version == .http10 { precondition(head.framing != .chunked, "chunked in HTTP/1.0") }
    if head.version == .http11 { precondition(head.hostPresent, "HTTP/1.1 without Host accepted") }
}

/// Re-parses a strict prefix of `rest`: a valid head's prefix must need more bytes, an
/// invalid head's prefix must need more bytes or fail with the same status.
func checkPrefix(
    _ rest: UnsafeRawBufferPointer, cut: Int, full: HeadParseResult,
    headers: UnsafeMutableBufferPointer<HTTPHeaderField>, limits: HTTPLimits
) {
    // An exact-size copy, so AddressSanitizer sees any read past the prefix.
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: cut, alignment: 1)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<cut]))
    let result = RequestParser.parseHead(UnsafeRawBufferPointer(copy), headers: headers, limits: limits)
    switch (full, result) {
    case (_, .needMore):
        break
    case (.error(let a), .error(let b)):
        precondition(a == b, "prefix of \(cut) bytes gives \(b.rawValue), whole gives \(a.rawValue)")
    case (.complete, _):
        preconditionFailure("prefix of \(cut) bytes of a \(rest.count)-byte complete head gave \(result)")
    default:
        preconditionFailure("prefix of \(cut) bytes gives \(result), whole gives \(full)")
    }
}

/// Drives the parser over `data` as a server would, delivering it in stages that end at
/// each of `cuts` and finally at `data.count`; returns the events.
func drive(
    _ data: UnsafeRawBufferPointer, cuts: [Int], limits: HTTPLimits,
    headers: UnsafeMutableBufferPointer<HTTPHeaderField>, prefixSeed: Int
) -> [Event] {
    let n = data.count
    var events: [Event] = []
    var offset = 0  // absolute: everything before it is consumed
    var body = BodyDecoder()
    var bodyBytes = 0
    var bodyHash = fnvBasis
    var stages = cuts.filter { $0 > 0 && $0 < n }
    stages.append(n)
    var previousStage = 0
    for (stageIndex, available) in stages.enumerated() {
        precondition(available >= previousStage)
        previousStage = available
        let last = stageIndex == stages.count - 1
        // The unconsumed bytes delivered so far, copied to an exact-size allocation so
        // AddressSanitizer catches any read past what has "arrived".
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: available - offset, alignment: 1)
        defer { window.deallocate() }
        window.copyMemory(from: UnsafeRawBufferPointer(rebasing: data[offset..<available]))
        let windowBase = offset
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(window)[(offset - windowBase)...])
            if !body.isComplete {
                let step = body.decode(rest, limits: limits)
                precondition(step.consumed >= 0 && step.consumed <= rest.count, "consumed \(step.consumed) of \(rest.count)")
                precondition(step.dataLength >= 0 && step.dataStart >= 0, "negative data span")
                precondition(step.dataLength == 0 || step.dataStart + step.dataLength <= step.consumed, "data span past consumed")
                for k in step.dataStart..<(step.dataStart + step.dataLength) {
                    bodyHash = (bodyHash ^ UInt64(rest[k])) &* 0x100_0000_01B3
                }
                bodyBytes += step.dataLength
                precondition(UInt64(bodyBytes) <= limits.maxBodyBytes, "body longer than maxBodyBytes")
                offset += step.consumed
                switch step.state {
                case .more:
                    precondition(!body.isComplete, ".more but isComplete")
                    // Progress: bytes available and not taken would stall the connection.
                    precondition(step.consumed > 0 || rest.isEmpty, "no progress on \(rest.count) bytes")
                    if step.consumed == 0 { break }
                    continue
                case .done:
                    precondition(body.isComplete, ".done but not isComplete")
                    let again = body.decode(UnsafeRawBufferPointer(rebasing: rest[step.consumed...]), limits: limits)
                    precondition(again.consumed == 0 && again.dataLength == 0 && again.state == .done, "done decoder moved")
                    events.append(.body(end: offset, bytes: bodyBytes, hash: bodyHash))
                    continue
                case .error(let status):
                    precondition(!body.isComplete, "error but isComplete")
                    precondition(status.rawValue >= 400 && status.rawValue <= 599, "body status \(status.rawValue)")
                    let again = body.decode(UnsafeRawBufferPointer(rebasing: rest[step.consumed...]), limits: limits)
                    precondition(again.consumed == 0 && again.dataLength == 0 && again.state == step.state, "failed decoder moved")
                    events.append(.bodyError(end: offset, status: status.rawValue, bytes: bodyBytes, hash: bodyHash))
                    return events
                }
            } else {
                let result = RequestParser.parseHead(rest, headers: headers, limits: limits)
                if !rest.isEmpty {
                    // A strict prefix at a position derived from the input.
                    let count: Int
                    switch result {
                    case .complete(let head): count = head.headLength
                    default: count = rest.count
                    }
                    if count > 1 { checkPrefix(rest, cut: 1 + prefixSeed % (count - 1), full: result, headers: headers, limits: limits) }
                }
                switch result {
                case .needMore:
                    // Liveness: a head that can never complete must be rejected by the limit.
                    precondition(rest.count < limits.maxHeaderBytes, "needMore with \(rest.count) bytes buffered")
                case .error(let status):
                    precondition(status.rawValue >= 400 && status.rawValue <= 599, "head status \(status.rawValue)")
                    events.append(.headError(offset: offset, status: status.rawValue))
                    return events
                case .complete(let head):
                    checkHead(head, in: rest, headers: headers, limits: limits)
                    if head.headLength > 1 {
                        checkPrefix(rest, cut: head.headLength - 1, full: result, headers: headers, limits: limits)
                    }
                    events.append(.head(offset: offset, length: head.headLength, framing: head.framing,
                                        fields: head.headerCount, keepAlive: head.keepAlive))
                    offset += head.headLength
                    body = BodyDecoder(framing: head.framing)
                    bodyBytes = 0
                    bodyHash = fnvBasis
                    switch head.framing {
                    case .none, .contentLength(0): precondition(body.isComplete, "empty body not complete")
                    default: precondition(!body.isComplete, "body complete before any bytes")
                    }
                    continue
                }
            }
            // Stalled: wait for the next stage, or report where the input ended.
            if last {
                events.append(body.isComplete ? .partialHead(offset: offset) : .partialBody(bytes: bodyBytes, hash: bodyHash))
                return events
            }
            break
        }
    }
    preconditionFailure("unreachable: the last stage always returns")
}

/// Runs every feed of `data` under `limits` and checks they agree.
func check(_ data: UnsafeRawBufferPointer, limits: HTTPLimits, seed: Int) {
    let headers = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: limits.maxHeaderCount)
    defer { headers.deallocate() }
    headers.initialize(repeating: HTTPHeaderField())
    let n = data.count
    let whole = drive(data, cuts: [], limits: limits, headers: headers, prefixSeed: seed)
    if verbose { print("limits \(limits.maxHeaderBytes): \(whole)") }
    // One split at a position derived from the first byte.
    let split = n > 0 ? (seed &* 151) % (n + 1) : 0
    let once = drive(data, cuts: [split], limits: limits, headers: headers, prefixSeed: seed)
    if once != whole {
        print("whole: \(whole)\nsplit at \(split): \(once)")
        preconditionFailure("split at \(split) changed the events")
    }
    // Slices of 1...16 bytes (bounded so long inputs stay fast).
    let stride = 1 + (seed >> 3) % 16
    if n / stride <= 512 {
        let cuts = Array(Swift.stride(from: stride, to: n, by: stride))
        let sliced = drive(data, cuts: cuts, limits: limits, headers: headers, prefixSeed: seed)
        if sliced != whole {
            print("whole: \(whole)\nslices of \(stride): \(sliced)")
            preconditionFailure("slices of \(stride) changed the events")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let seed = size > 0 ? Int(data[0]) : 0
    check(input, limits: HTTPLimits(), seed: seed)
    check(input, limits: smallLimits, seed: seed)
    return 0
}
