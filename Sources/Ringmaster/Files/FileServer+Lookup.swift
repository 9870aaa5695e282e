// Finding a file: a cache hit checked against the file system at most once a second, or a
// miss opened beneath the root and, when small enough, read whole into the cache.
import Glibc
import RingmasterHTTP

extension FileServer {
    /// Finds `path` (relative, `length` bytes, with room for a NUL after it) under the route's
    /// root. `variant` 1 is the `.gz` sibling, whose absence is cached too (otherwise every
    /// request for a file without one would cost an open).
    mutating func findFile(route: Int, variant: UInt8, path: UnsafeMutableRawPointer, length: Int,
                           directory: (fd: Int32, pathLength: Int, index: UnsafeRawBufferPointer, resolve: UInt64, precompressed: Bool),
                           responses: borrowing ResponseTable, date: HTTPDate) -> FileLookup {
        let key = UnsafeRawBufferPointer(start: path, count: length)
        let hash = FileCache.hash(route: route, variant: variant, path: key)
        let now = date.unixSeconds
        path.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
        let name = UnsafePointer<CChar>(path.assumingMemoryBound(to: CChar.self))
        if let index = cache.find(hash: hash, key: key) {
            let entry = cache.entries + index
            entry.pointee.referenced = true
            if entry.pointee.checkedAt == now {
                statistics.add(.fileCacheHits)
                return entry.pointee.absent ? .absent : .cached(index)
            }
            // Revalidate: the same open a miss makes, so a file replaced by rename (how
            // deploys and rsync write) is seen, not only one changed in place.
            switch FileOpener.open(root: directory.fd, path: name, resolve: directory.resolve) {
            case .success(let (fd, facts)):
                if !entry.pointee.absent && facts == entry.pointee.facts {
                    close(fd)
                    entry.pointee.checkedAt = now
                    statistics.add(.fileCacheHits)
                    return .cached(index)
                }
                cache.remove(index)
                return admit(fd: fd, facts: facts, hash: hash, key: key, variant: variant, vary: directory.precompressed, route: route,
                             responses: responses, now: now)
            case .failure where variant == 1 && entry.pointee.absent:
                entry.pointee.checkedAt = now
                return .absent
            case .failure(let failure):
                cache.remove(index)
                return variant == 1 ? rememberAbsent(hash: hash, key: key, now: now) : .failed(failure)
            }
        }
        statistics.add(.fileCacheMisses)
        switch FileOpener.open(root: directory.fd, path: name, resolve: directory.resolve) {
        case .success(let (fd, facts)):
            return admit(fd: fd, facts: facts, hash: hash, key: key, variant: variant, vary: directory.precompressed, route: route,
                             responses: responses, now: now)
        case .failure where variant == 1:
            // A sibling that cannot be served (missing, unreadable, a link out of the root)
            // is as good as absent: the plain file answers.
            return rememberAbsent(hash: hash, key: key, now: now)
        case .failure(let failure):
            return .failed(failure)
        }
    }

    /// A freshly opened file: cached when small, else handed out open for streaming.
    mutating func admit(fd: Int32, facts: FileFacts, hash: UInt64, key: UnsafeRawBufferPointer, variant: UInt8, vary: Bool,
                        route: Int, responses: borrowing ResponseTable, now: Int) -> FileLookup {
        if facts.isDirectory {
            close(fd)
            return variant == 1 ? .absent : .directory
        }
        let out = UnsafeMutableRawBufferPointer(start: headerScratch, count: FileHeaders.maxLength)
        guard var (headersLength, tagLength) = FileHeaders.write(size: facts.size, modificationSeconds: facts.modifiedSeconds,
                                                                 modificationNanoseconds: facts.modifiedNanoseconds,
                                                                 gzip: variant == 1, vary: vary, into: out) else {
            close(fd)
            return .failed(.unavailable)
        }
        // The route's own header lines (`headers` in its configuration, e.g. Cache-Control)
        // ride with the validators, cached once per file.
        let own = responses.extraHeaders(of: route)
        if own.count > 0 {
            (headerScratch + headersLength).copyMemory(from: own.baseAddress!, byteCount: own.count)
            headersLength += own.count
        }
        guard facts.size <= UInt64(cache.maxFileSize),
              let index = cache.insert(hash: hash, key: key, headersLength: headersLength, bodyLength: Int(facts.size)) else {
            return .opened(fd: fd, facts: facts, headersLength: headersLength, tagLength: tagLength)
        }
        let entry = cache.entries + index
        let payload = entry.pointee.block!.payload
        payload.copyMemory(from: headerScratch, byteCount: headersLength)
        // A small file is read here, synchronously: it is one pread of at most
        // `files.cache_file_max` bytes, usually from the page cache (docs/files.md).
        guard FileOpener.readAll(fd: fd, count: Int(facts.size), into: payload + headersLength) else {
            cache.remove(index)
            close(fd)
            return .failed(.unavailable)
        }
        close(fd)
        entry.pointee.facts = facts
        entry.pointee.entityTagLength = tagLength
        entry.pointee.checkedAt = now
        return .cached(index)
    }

    /// Caches that a `.gz` sibling does not exist (rechecked like any entry, once a second).
    mutating func rememberAbsent(hash: UInt64, key: UnsafeRawBufferPointer, now: Int) -> FileLookup {
        if let index = cache.insert(hash: hash, key: key, headersLength: 0, bodyLength: 0) {
            cache.entries[index].absent = true
            cache.entries[index].checkedAt = now
        }
        return .absent
    }
}
