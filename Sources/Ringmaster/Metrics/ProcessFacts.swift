// Process figures for the process_* metric families, read the way Prometheus's own client
// libraries read them (resident pages from /proc/self/statm, descriptors by listing
// /proc/self/fd, start time from /proc/self/stat), but into stack buffers with plain system
// calls so that a scrape allocates nothing on the worker thread.
import CURing
import Glibc

/// One reading of the process's memory, descriptors and start time.
struct ProcessFacts {
    var residentBytes: UInt64 = 0
    var openDescriptors: UInt64 = 0
    /// Milliseconds since the Unix epoch.
    var startTimeMilliseconds: Int64 = 0

    static func read() -> ProcessFacts {
        var facts = ProcessFacts()
        // 1 KiB: withUnsafeTemporaryAllocation stays on the stack only up to about that size.
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { buffer in
            // statm: size resident shared ... (pages).
            let statm = readFile("/proc/self/statm", into: buffer)
            if let resident = field(1, of: UnsafeRawBufferPointer(rebasing: buffer[..<statm])) {
                facts.residentBytes = resident &* UInt64(sysconf(Int32(_SC_PAGESIZE)))
            }
            // stat: "pid (comm) state ..." where comm may hold spaces; field 22 (starttime,
            // clock ticks after boot) is the 20th after the closing parenthesis (index 19: state is 0).
            let stat = readFile("/proc/self/stat", into: buffer)
            let text = UnsafeRawBufferPointer(rebasing: buffer[..<stat])
            // A backward index loop, not lastIndex(of:), which is generic and allocates in debug.
            var close = text.count - 1
            while close >= 0 && text[close] != UInt8(ascii: ")") { close -= 1 }
            if close >= 0,
               let ticks = field(19, of: UnsafeRawBufferPointer(rebasing: text[(close + 1)...])) {
                var realtime = timespec()
                var boottime = timespec()
                clock_gettime(CLOCK_REALTIME, &realtime)
                clock_gettime(CLOCK_BOOTTIME, &boottime)
                let bootMilliseconds = (Int64(realtime.tv_sec) - Int64(boottime.tv_sec)) * 1000
                    + (Int64(realtime.tv_nsec) - Int64(boottime.tv_nsec)) / 1_000_000
                let hertz = max(Int64(sysconf(Int32(_SC_CLK_TCK))), 1)
                facts.startTimeMilliseconds = bootMilliseconds + Int64(ticks) * 1000 / hertz
            }
            facts.openDescriptors = countDescriptors(buffer)
        }
        return facts
    }

    /// Reads up to the buffer's size from `path`; returns the byte count (0 on failure).
    static func readFile(_ path: StaticString, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let fd = openStatic(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
        return max(n, 0)
    }

    /// open(2) of a literal path: a String argument would be copied into a fresh C string.
    static func openStatic(_ path: StaticString, _ flags: Int32) -> Int32 {
        path.withUTF8Buffer { name in name.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, flags) } }
    }

    /// The `index`th (0-based) space-separated decimal field of `text`.
    static func field(_ index: Int, of text: UnsafeRawBufferPointer) -> UInt64? {
        var current = -1
        var value: UInt64 = 0
        var inField = false
        var position = 0
        while position < text.count {
            let byte = text[position]
            position += 1
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if inField && current == index { return value }
                inField = false
                continue
            }
            if !inField {
                inField = true
                current += 1
                value = 0
            }
            guard current == index else { continue }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
        }
        return inField && current == index ? value : nil
    }

    /// Entries of /proc/self/fd other than "." and "..", less the descriptor used to list it.
    static func countDescriptors(_ buffer: UnsafeMutableRawBufferPointer) -> UInt64 {
        let fd = openStatic("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var entries: UInt64 = 0
        while true {
            let n = curing_getdents64(fd, buffer.baseAddress, buffer.count)
            if n <= 0 { break }
            var offset = 0
            while offset < n {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                let record = buffer.baseAddress! + offset
                let length = Int(record.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                let name = record + 19
                let first = name.load(as: UInt8.self)
                let second = name.load(fromByteOffset: 1, as: UInt8.self)
                let dot = first == UInt8(ascii: ".") && (second == 0 || (second == UInt8(ascii: ".") && name.load(fromByteOffset: 2, as: UInt8.self) == 0))
                if !dot { entries += 1 }
                offset += max(length, 1)
            }
        }
        return entries > 0 ? entries - 1 : 0
    }
}
