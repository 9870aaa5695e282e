// Property-style robustness: seeded random mutations of valid streams (byte flips,
// insertions, deletions, truncations) must never crash, never yield offsets past the
// input, and give the same events whether the stream arrives whole or in two pieces.

import Testing
import RingmasterHTTP

/// Bytes that sit on grammar boundaries, so mutations hit interesting paths often.
let interestingBytes: [UInt8] = bytes("\r\n :;,0fF\t\"=-") + [0x00, 0x7F, 0x80, 0xFF]

/// Applies one to four random mutations to `input`.
func mutate(_ input: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
    var output = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let randomByte = Bool.random(using: &rng)
            ? interestingBytes.randomElement(using: &rng)!
            : UInt8.random(in: 0...255, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0 where !output.isEmpty:
            output[Int.random(in: 0..<output.count, using: &rng)] = randomByte
        case 1:
            output.insert(randomByte, at: Int.random(in: 0...output.count, using: &rng))
        case 2 where !output.isEmpty:
            output.remove(at: Int.random(in: 0..<output.count, using: &rng))
        default:
            output.removeLast(Int.random(in: 0...min(output.count, 8), using: &rng))
        }
    }
    return output
}

/// Parses `input` directly and checks every offset the parser reports, then decodes the
/// body that follows and checks every step; returns false on any out-of-range value.
func offsetsStayInBounds(_ input: [UInt8], limits: HTTPLimits) -> Bool {
    let fields = UnsafeMutableBufferPointer<HTTPHeaderField>.allocate(capacity: 8)
    fields.initialize(repeating: HTTPHeaderField())
    defer { fields.deallocate() }
    return input.withUnsafeBytes { buffer in
        guard case .complete(let head) = RequestParser.parseHead(buffer, headers: fields, limits: limits) else {
            return true
        }
        let count = buffer.count
        var ok = head.headLength <= count && head.headerCount <= fields.count
        ok = ok && Int(head.methodStart) + Int(head.methodLength) <= head.headLength
        ok = ok && Int(head.targetStart) + Int(head.targetLength) <= head.headLength
        for field in fields[0..<head.headerCount] {
            ok = ok && Int(field.nameStart) + Int(field.nameLength) <= head.headLength
            ok = ok && Int(field.valueStart) + Int(field.valueLength) <= head.headLength
        }
        var decoder = BodyDecoder(framing: head.framing)
        var offset = head.headLength
        while offset < count {
            let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            let step = decoder.decode(rest, limits: limits)
            ok = ok && step.consumed <= rest.count && step.dataStart + step.dataLength <= step.consumed
            offset += step.consumed
            if step.state != .more || step.consumed == 0 { break }
        }
        return ok
    }
}

@Suite("Mutated streams")
struct MutationTests {
    @Test func randomMutationsAreSafeAndSplitInvariant() {
        var rng = SeededGenerator(state: 0x5EED_1234)
        let seeds: [[UInt8]] = [pipelinedStream, bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") + chunkedBody]
            + validCases.map { bytes($0.head) + bytes("0123456789") }
        let tightLimits = HTTPLimits(maxRequestLine: 40, maxHeaderBytes: 200, maxHeaderCount: 6, maxBodyBytes: 16)
        var failures = 0
        var completed = 0
        var rejected = 0
        for iteration in 0..<2000 {
            let input = mutate(seeds.randomElement(using: &rng)!, using: &rng)
            let limits = iteration % 4 == 3 ? tightLimits : HTTPLimits()
            if !offsetsStayInBounds(input, limits: limits) {
                Issue.record("offset out of bounds for \(input)")
                failures += 1
            }
            let whole = drive([input[...]], limits: limits)
            if whole.contains(where: { if case .head = $0 { true } else { false } }) { completed += 1 }
            if whole.contains(where: { if case .error = $0 { true } else { false } }) { rejected += 1 }
            let cut = Int.random(in: 0...input.count, using: &rng)
            let split = drive([input[..<cut], input[cut...]], limits: limits)
            if split != whole {
                Issue.record("split at \(cut) differs for \(String(decoding: input, as: UTF8.self).debugDescription)")
                failures += 1
            }
            if failures > 5 { break }
        }
        // The mutations must exercise both outcomes, or the property says little.
        #expect(completed > 200 && rejected > 200, "completed \(completed), rejected \(rejected)")
    }
}
