// Many short texts in one buffer (AsyncRequest's method, path, query, request id, fields and
// parameters): copying a request for an async handler then costs two allocations (the bytes
// and their offsets) instead of one or more per String, and a String is built only for the
// texts a handler reads.
import RingmasterHTTP

/// Texts appended in order and read back by their index; an item may be absent (nil).
struct PackedText: Sendable {
    /// What `PackedText(reserving:)` makes room for, counted first.
    struct Size {
        var bytes = 0
        var items = 0
        mutating func add(_ text: UnsafeRawBufferPointer?) {
            bytes += text?.count ?? 0
            items += 1
        }
    }

    /// Marks an absent item's start.
    private static let absent = UInt32.max
    private var bytes: [UInt8] = []
    /// Start and length of each item.
    private var ranges: [UInt32] = []

    init(reserving size: Size) {
        bytes.reserveCapacity(size.bytes)
        ranges.reserveCapacity(2 * size.items)
    }

    mutating func append(_ text: UnsafeRawBufferPointer?) {
        guard let text else {
            ranges.append(PackedText.absent)
            ranges.append(0)
            return
        }
        ranges.append(UInt32(bytes.count))
        ranges.append(UInt32(text.count))
        bytes.append(contentsOf: text)
    }

    mutating func append(_ text: String?) {
        guard var text else {
            append(nil as UnsafeRawBufferPointer?)
            return
        }
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Item `index` as a String, or nil when it was absent.
    func string(_ index: Int) -> String? {
        let start = ranges[2 * index], count = Int(ranges[2 * index + 1])
        guard start != PackedText.absent else { return nil }
        return bytes.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[Int(start)..<Int(start) + count]), as: UTF8.self) }
    }

    /// Whether item `index` is `text`, byte for byte.
    func equals(_ index: Int, _ text: String) -> Bool {
        compare(index, text) { $0 == $1 }
    }

    /// Whether item `index` is `text`, ignoring ASCII case (field names).
    func equalsCaseInsensitive(_ index: Int, _ text: String) -> Bool {
        compare(index, text) { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }

    private func compare(_ index: Int, _ text: String, _ same: (UInt8, UInt8) -> Bool) -> Bool {
        let start = ranges[2 * index], count = Int(ranges[2 * index + 1])
        guard start != PackedText.absent, text.utf8.count == count else { return false }
        var i = Int(start)
        for byte in text.utf8 {
            guard same(bytes[i], byte) else { return false }
            i += 1
        }
        return true
    }
}
