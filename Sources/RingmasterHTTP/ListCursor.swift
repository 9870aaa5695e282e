// Iteration over comma-separated field values (RFC 9110 §5.6.1) without allocation.

/// Walks the elements of a `#element` list in a field value, each trimmed of OWS.
///
/// Empty elements (from ",," or a trailing comma) are returned as zero-length spans;
/// callers decide whether to ignore them (RFC 9110 §5.6.1) or reject them.
struct ListCursor {
    /// First byte of the field value.
    let base: UnsafePointer<UInt8>
    /// Length of the field value.
    let count: Int
    /// Start of the next element; `count + 1` once the list is exhausted.
    var position = 0

    /// Starts iterating the value at `base` of `count` bytes.
    init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// The next element as (start, length) relative to `base`, or nil when done.
    mutating func next() -> (start: Int, length: Int)? {
        guard position <= count else { return nil }
        var start = position
        var stop = start
        while stop < count && base[stop] != UInt8(ascii: ",") { stop += 1 }
        position = stop + 1
        var last = stop
        while start < last && isOWS(base[start]) { start += 1 }
        while last > start && isOWS(base[last - 1]) { last -= 1 }
        return (start, last - start)
    }

    /// Whether `byte` is SP or HTAB.
    @inline(__always)
    private func isOWS(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// Whether the element at `start` of `length` bytes equals the lowercase `literal`,
    /// ignoring ASCII case.
    func element(_ start: Int, _ length: Int, is literal: StaticString) -> Bool {
        ASCII.equalsCaseInsensitive(UnsafeRawBufferPointer(start: base + start, count: length), literal)
    }
}
