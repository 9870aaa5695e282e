// A request id for every handler request (docs/handlers.md, "Request ids and logging"): the
// client's or the load balancer's `X-Request-Id` when it is a sane token, else one the worker
// makes (16 hex digits from a per-worker random seed and a counter, mixed). Handlers read it
// (`request.requestID`, and `request.logger` carries it as metadata), the response echoes it
// and the JSON access log records it. Kept per connection slot, so a deferred or async answer
// finished later echoes the same id. A component: the slots' ids and the counter, nothing else.
import Glibc
import RingmasterHTTP

/// The request ids of one worker's handler requests, one per connection slot.
struct RequestIDs: ~Copyable {
    /// One slot's entry: a length byte, then up to `maxLength` bytes.
    static let stride = 64
    static let maxLength = stride - 1
    /// Pages touched only by connections that reach a handler (malloc maps a large block lazily).
    let storage: UnsafeMutableRawPointer
    let slots: Int
    let seed: UInt64
    var counter: UInt64 = 0

    init(slots: Int) {
        self.slots = slots
        storage = .allocate(byteCount: max(slots, 1) * RequestIDs.stride, alignment: 64)
        // Random per worker (the system's generator: getrandom(2)), so ids of two workers or
        // two runs do not collide.
        seed = UInt64.random(in: 0...UInt64.max)
    }

    deinit { storage.deallocate() }

    /// Takes the request's id for `slot`: its `X-Request-Id` if it is 1 to 63 bytes of
    /// letters, digits, `-`, `_`, `.` and `:`, else a fresh one. Returns the id's bytes.
    mutating func assign(slot: UInt32, fields: UnsafeBufferPointer<HTTPHeaderField>, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(Int(slot) < slots)
        let entry = storage + Int(slot) * RequestIDs.stride
        var i = 0
        while i < fields.count {
            if ASCII.equalsCaseInsensitive(fields[i].name(in: bytes), "x-request-id") {
                let value = fields[i].value(in: bytes)
                if RequestIDs.isValid(value) {
                    entry.storeBytes(of: UInt8(value.count), as: UInt8.self)
                    (entry + 1).copyMemory(from: value.baseAddress!, byteCount: value.count)
                    return id(slot: slot)
                }
            }
            i += 1
        }
        counter &+= 1
        // Consecutive counters give unrelated-looking ids.
        var value = Hash64.mix(seed &+ counter)
        let digits = entry + 1
        var d = 15
        while d >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value & 0xF)
            digits.storeBytes(of: nibble < 10 ? nibble + 0x30 : nibble + 0x57, toByteOffset: d, as: UInt8.self)
            value >>= 4
            d -= 1
        }
        entry.storeBytes(of: 16, as: UInt8.self)
        return id(slot: slot)
    }

    /// The id assigned to `slot`'s current handler request.
    func id(slot: UInt32) -> UnsafeRawBufferPointer {
        let entry = UnsafeRawPointer(storage + Int(slot) * RequestIDs.stride)
        return UnsafeRawBufferPointer(start: entry + 1, count: Int(entry.load(as: UInt8.self)))
    }

    static func isValid(_ value: UnsafeRawBufferPointer) -> Bool {
        guard !value.isEmpty, value.count <= maxLength else { return false }
        for byte in value {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): continue
            default: return false
            }
        }
        return true
    }
}
