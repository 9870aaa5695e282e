// The per-worker cache of small files: their bytes and pre-formatted validator headers, so a
// hit answers with no system call. Bounded in bytes and entries; an entry is revalidated by
// reopening its path (same descriptor checks as a miss) at most once a second, so a changed
// or replaced file is seen within a second. Nothing here is shared between workers.
import Glibc

/// One cached representation: a file, or the fact that a `.gz` sibling does not exist.
struct CachedFile {
    /// Hash of the key (route, variant, path); 0 marks a free entry.
    var hash: UInt64 = 0
    /// Shared body block (`FileBlock`): the key, the validator headers, then the body.
    var block: FileBlock?
    var keyLength = 0
    /// Bytes counted against the cache's budget.
    var cost = 0
    /// "ETag: ...\r\nLast-Modified: ...\r\n..." and where the tag sits in it.
    var headersLength = 0
    var entityTagLength = 0
    var facts = FileFacts(size: 0, device: 0, inode: 0, modifiedSeconds: 0, modifiedNanoseconds: 0, isDirectory: false)
    /// The unix second the file was last checked against the file system.
    var checkedAt = 0
    /// A negative entry: the path (a `.gz` sibling) did not exist when checked.
    var absent = false
    /// CLOCK bit: used since the hand last passed.
    var referenced = false
    /// Next entry in the same hash bucket, or -1.
    var next: Int32 = -1
}

/// Per-worker small-file cache (bounded, CLOCK eviction, chained hash buckets).
struct FileCache: ~Copyable {
    let maxBytes: Int
    /// Files larger than this are streamed, never cached.
    let maxFileSize: Int
    let capacity: Int
    let entries: UnsafeMutablePointer<CachedFile>
    let buckets: UnsafeMutablePointer<Int32>
    let bucketMask: Int
    private(set) var bytes = 0
    private(set) var count = 0
    var hand = 0
    /// Entries 0..<initialized are initialised (free or used); the rest of the array is
    /// untouched memory. Inserts take the lowest free entry, so an idle worker's cache costs
    /// no resident memory and a busy one what its files need (4096 initialised entries were
    /// ~470 KiB per worker, touched at startup).
    private(set) var initialized = 0

    init(maxBytes: Int, maxFileSize: Int, maxEntries: Int = 4096) {
        self.maxBytes = maxBytes
        self.maxFileSize = maxBytes == 0 ? 0 : min(maxFileSize, maxBytes)
        capacity = maxEntries
        // Large enough for malloc to map it on its own (above M_MMAP_THRESHOLD), so pages
        // are committed only as entries are initialised.
        entries = .allocate(capacity: maxEntries)
        var bucketCount = 1
        while bucketCount < maxEntries { bucketCount <<= 1 }
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: -1, count: bucketCount)
        bucketMask = bucketCount - 1
    }

    deinit {
        for i in 0..<initialized where entries[i].hash != 0 { entries[i].block?.release() }
        entries.deinitialize(count: initialized)
        entries.deallocate()
        buckets.deallocate()
    }

    /// FNV-1a over the route, the variant and the path; never 0 (0 marks a free entry).
    static func hash(route: Int, variant: UInt8, path: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ UInt64(route)) &* 0x100_0000_01b3
        h = (h ^ UInt64(variant)) &* 0x100_0000_01b3
        for byte in path { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h == 0 ? 1 : h
    }

    /// The entry for `key` (whose hash is `hash`), or nil.
    func find(hash: UInt64, key: UnsafeRawBufferPointer) -> Int? {
        var index = buckets[Int(truncatingIfNeeded: hash) & bucketMask]
        while index >= 0 {
            let entry = entries[Int(index)]
            if entry.hash == hash, entry.keyLength == key.count, let block = entry.block,
               memcmp(block.key, key.baseAddress!, key.count) == 0 {
                return Int(index)
            }
            index = entry.next
        }
        return nil
    }

    /// Inserts an entry for `key` with a block of `headersLength + bodyLength` bytes after
    /// the key, evicting until it fits; nil when it cannot fit at all.
    mutating func insert(hash: UInt64, key: UnsafeRawBufferPointer, headersLength: Int, bodyLength: Int) -> Int? {
        let size = key.count + headersLength + bodyLength
        guard size + FileBlock.headerSize <= maxBytes else { return nil }
        while bytes + size > maxBytes || count == capacity {
            guard evictOne() else { return nil }
        }
        guard let block = FileBlock.allocate(keyLength: key.count, payload: headersLength + bodyLength) else { return nil }
        block.key.copyMemory(from: key.baseAddress!, byteCount: key.count)
        var index = 0
        while index < initialized && entries[index].hash != 0 { index += 1 }
        if index == initialized {
            (entries + index).initialize(to: CachedFile())
            initialized += 1
        }
        let bucket = Int(truncatingIfNeeded: hash) & bucketMask
        entries[index] = CachedFile(hash: hash, block: block, keyLength: key.count, cost: size, headersLength: headersLength,
                                    referenced: true, next: buckets[bucket])
        buckets[bucket] = Int32(index)
        bytes += size
        count += 1
        return index
    }

    /// Drops entry `index`: its block lives on while a stream still sends from it.
    mutating func remove(_ index: Int) {
        let entry = entries[index]
        guard entry.hash != 0 else { return }
        let bucket = Int(truncatingIfNeeded: entry.hash) & bucketMask
        if buckets[bucket] == Int32(index) {
            buckets[bucket] = entry.next
        } else {
            var previous = Int(buckets[bucket])
            while entries[previous].next != Int32(index) { previous = Int(entries[previous].next) }
            entries[previous].next = entry.next
        }
        bytes -= entry.cost
        count -= 1
        entry.block?.release()
        entries[index] = CachedFile()
    }

    /// CLOCK: skips (and clears) recently used entries; false when the cache is empty.
    mutating func evictOne() -> Bool {
        guard count > 0 else { return false }
        while true {
            // Entries past `initialized` are free: the hand skips them.
            hand = (hand + 1) % initialized
            guard entries[hand].hash != 0 else { continue }
            if entries[hand].referenced {
                entries[hand].referenced = false
                continue
            }
            remove(hand)
            return true
        }
    }

    /// Empties the cache (a reload renumbers routes, so keys would be wrong).
    mutating func removeAll() {
        for i in 0..<initialized where entries[i].hash != 0 { remove(i) }
    }
}
