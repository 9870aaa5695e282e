// Allocation-free text assembly in a fixed block, for what the worker generates per request.

/// Text appended into fixed memory without allocation: generated headers (Allow) and the
/// metrics exposition. Stops writing (and keeps what fits) when full.
struct TextBuffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var length = 0

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    mutating func put(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        guard length + n <= capacity else { return }
        (base + length).copyMemory(from: text.utf8Start, byteCount: n)
        length += n
    }

    /// The decimal digits of `value`.
    mutating func put(_ value: UInt64) {
        var rest = value
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &scratch) { raw in
            var i = 24
            repeat {
                i -= 1
                raw[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            let n = 24 - i
            if length + n <= capacity {
                (base + length).copyMemory(from: raw.baseAddress! + i, byteCount: n)
                length += n
            }
        }
    }

    /// `# HELP name help` and `# TYPE name type`.
    mutating func family(_ name: StaticString, _ help: StaticString, type: StaticString) {
        put("# HELP "); put(name); put(" "); put(help); put("\n")
        put("# TYPE "); put(name); put(" "); put(type); put("\n")
    }

    /// `name{le="bound"} number`.
    mutating func bucket(_ name: StaticString, upperBound: UInt64, value: UInt64) {
        put(name); put("{le=\""); put(upperBound); put("\"} "); put(value); put("\n")
    }

    /// `name{label="value"} number`.
    mutating func sample(_ name: StaticString, label: (StaticString, StaticString)?, value: UInt64) {
        put(name)
        if let label {
            put("{"); put(label.0); put("=\""); put(label.1); put("\"}")
        }
        put(" "); put(value); put("\n")
    }
}
