// Where a handler request with a body waits for its body: the head's bytes and field offsets
// are copied out of the receive buffer (recycled as soon as it is parsed) and the decoded body
// is appended behind them, so the handler finally sees one contiguous request. Entries are
// pooled per worker and keep their buffers, so a worker that has served bodies of a size
// serves more of them without allocating; buffers past `retainedCapacity` are given back.
import RingmasterHTTP

/// A per-worker pool of request buffers, one entry per connection collecting a body.
struct RequestStore: ~Copyable {
    /// One collected request: [head bytes][body bytes] in `bytes`, the head's fields apart.
    struct Entry {
        var bytes: UnsafeMutableRawPointer?
        var capacity = 0
        var length = 0
        var head = RequestHead()
        var fields: UnsafeMutablePointer<HTTPHeaderField>?
        var fieldCapacity = 0
    }

    static let none: UInt32 = .max
    /// Buffers up to this size are kept for the next request; larger ones are freed.
    static let retainedCapacity = 64 * 1024
    /// The first buffer of a chunked body (its length is unknown until the end).
    static let initialChunkedCapacity = 4096

    private var entries: UnsafeMutablePointer<Entry>
    private var freeList: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var capacity = 0
    private var freeCount = 0

    init() {
        entries = .allocate(capacity: 1)
        freeList = .allocate(capacity: 1)
    }

    deinit {
        for i in 0..<count {
            entries[i].bytes?.deallocate()
            entries[i].fields?.deallocate()
        }
        entries.deinitialize(count: count)
        entries.deallocate()
        freeList.deallocate()
    }

    /// Takes an entry holding a copy of the head (`head` parsed from `buffer`, its fields in
    /// `fields`), with room for `expectedBody` more bytes.
    mutating func begin(head: RequestHead, in buffer: UnsafeRawBufferPointer, fields: UnsafeMutableBufferPointer<HTTPHeaderField>,
                        expectedBody: Int) -> UInt32 {
        let id = take()
        let entry = entries + Int(id)
        reserve(entry, Int(head.headLength) + expectedBody)
        entry.pointee.bytes!.copyMemory(from: buffer.baseAddress!, byteCount: head.headLength)
        entry.pointee.length = head.headLength
        entry.pointee.head = head
        if entry.pointee.fieldCapacity < head.headerCount {
            entry.pointee.fields?.deallocate()
            entry.pointee.fields = .allocate(capacity: max(head.headerCount, fields.count))
            entry.pointee.fieldCapacity = max(head.headerCount, fields.count)
        }
        if head.headerCount > 0 {
            entry.pointee.fields!.update(from: fields.baseAddress!, count: head.headerCount)
        }
        return id
    }

    /// Appends decoded body bytes (the decoder has already held the total to the body limit).
    mutating func append(_ id: UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        let entry = entries + Int(id)
        let needed = entry.pointee.length + bytes.count
        if needed > entry.pointee.capacity { reserve(entry, max(needed, entry.pointee.capacity * 2)) }
        (entry.pointee.bytes! + entry.pointee.length).copyMemory(from: source, byteCount: bytes.count)
        entry.pointee.length = needed
    }

    /// The collected head, its bytes, fields and body; valid until `release`.
    func request(_ id: UInt32)
        -> (head: RequestHead, bytes: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>, body: UnsafeRawBufferPointer) {
        let entry = entries[Int(id)]
        let headLength = entry.head.headLength
        let bytes = UnsafeRawBufferPointer(start: entry.bytes, count: headLength)
        let body = UnsafeRawBufferPointer(start: entry.bytes.map { $0 + headLength }, count: entry.length - headLength)
        return (entry.head, bytes, UnsafeBufferPointer(start: entry.fields, count: entry.head.headerCount), body)
    }

    /// Returns the entry to the pool, freeing a buffer that grew past `retainedCapacity`.
    mutating func release(_ id: UInt32) {
        let entry = entries + Int(id)
        if entry.pointee.capacity > RequestStore.retainedCapacity {
            entry.pointee.bytes?.deallocate()
            entry.pointee.bytes = nil
            entry.pointee.capacity = 0
        }
        entry.pointee.length = 0
        freeList[freeCount] = id
        freeCount += 1
    }

    /// Entries taken and not released (for tests).
    var inUse: Int { count - freeCount }

    private mutating func take() -> UInt32 {
        if freeCount > 0 {
            freeCount -= 1
            return freeList[freeCount]
        }
        if count == capacity { grow() }
        (entries + count).initialize(to: Entry())
        count += 1
        return UInt32(count - 1)
    }

    /// Doubles the entry and free-list arrays (rare: only when more connections than ever
    /// before collect bodies at once).
    private mutating func grow() {
        let newCapacity = max(capacity * 2, 8)
        let newEntries = UnsafeMutablePointer<Entry>.allocate(capacity: newCapacity)
        newEntries.moveInitialize(from: entries, count: count)
        entries.deallocate()
        entries = newEntries
        let newFree = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newFree.update(from: freeList, count: freeCount)
        freeList.deallocate()
        freeList = newFree
        capacity = newCapacity
    }

    /// Makes room for `wanted` bytes, keeping what the entry holds.
    private func reserve(_ entry: UnsafeMutablePointer<Entry>, _ wanted: Int) {
        guard wanted > entry.pointee.capacity else { return }
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 16)
        if let old = entry.pointee.bytes {
            bytes.copyMemory(from: old, byteCount: entry.pointee.length)
            old.deallocate()
        }
        entry.pointee.bytes = bytes
        entry.pointee.capacity = wanted
    }
}
