// A client that uploads bytes i % 251 (what Support/upstream.py's /app/pattern and the
// streaming-route tests check) from a thread of its own, so a test can watch how far it gets
// while the server holds back.
import Foundation
import Glibc
import Synchronization

/// Sends `count` pattern bytes on a thread of its own (as Content-Length data, or as chunks
/// of varying size), counting what the kernel took; stops quietly when the server closes.
final class PatternUpload: Sendable {
    /// Bytes i % 251 from any offset, 64 KiB at a time: block[offset % 251...].
    static let block: [UInt8] = (0..<(251 + 65536)).map { UInt8($0 % 251) }

    final class Progress: Sendable {
        let sent = Atomic<Int>(0)
        let finished = Atomic<Bool>(false)
    }
    let progress = Progress()
    var sent: Int { progress.sent.load(ordering: .relaxed) }

    init(_ client: TestClient, head: String, count: Int, chunked: Bool = false) {
        let progress = self.progress
        let thread = Thread {
            defer { progress.finished.store(true, ordering: .releasing) }
            do {
                try client.send(head)
                var offset = 0
                var size = 1
                while offset < count {
                    // Chunked: sizes 1, 8, 64, ... 32768, 65536, then again.
                    let n = min(count - offset, chunked ? size : 65536)
                    size = size >= 65536 ? 1 : min(size * 8, 65536)
                    let piece = Array(PatternUpload.block[(offset % 251)..<(offset % 251 + n)])
                    try client.send(chunked ? Array((String(n, radix: 16) + "\r\n").utf8) + piece + [13, 10] : piece)
                    offset += n
                    progress.sent.add(n, ordering: .relaxed)
                }
                if chunked { try client.send("0\r\n\r\n") }
            } catch {}
        }
        thread.start()
    }

    /// Ends the upload midway: a blocked send wakes with EPIPE (the socket stays open, so
    /// its descriptor cannot be reused under the thread).
    func stop(_ client: TestClient) {
        shutdown(client.fd, Int32(SHUT_WR))
        wait()
    }

    func wait(seconds: Double = 60) {
        let deadline = Date().addingTimeInterval(seconds)
        while !progress.finished.load(ordering: .acquiring) && Date() < deadline { usleep(10_000) }
    }
}
