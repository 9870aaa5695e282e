// What a handler writes: status, header lines, content type and body bytes, kept in the
// worker's reusable scratch memory (no allocation) until the handler returns; the worker
// then writes head and body into the connection's output with Content-Length, Date, Server
// and Connection of its own. Header lines are checked here, so a handler that echoes client
// input cannot split the response.
import Logging
import RingmasterHTTP

/// A response being written by a handler, in place.
///
/// Everything written is sent when the handler returns (or when a deferred response's
/// `finish` body returns). A body that fits the worker's scratch (the output chunk's size,
/// 16 KiB by default) costs no allocation; a larger one spills into a block of its own that
/// the worker streams after the head (docs/handlers.md, "Large bodies and files").
/// `~Copyable`: it points into worker memory and cannot be kept.
public struct Response: ~Copyable {
    /// The status code; 200 unless set. Codes below 200 are answered with 500 (an interim
    /// response cannot end a request).
    public var status: HTTPStatus = .ok
    let scratch: ResponseScratch
    let worker: WorkerContext
    /// Which connection the response is for, so `finishLater` can name it.
    let slot: UInt32
    let generation: UInt8
    var bodyLength = 0
    var headerLength = 0
    var contentTypeLength = 0
    /// Set by `finishLater()`: the deferral this response became.
    var deferralID: UInt32 = 0
    /// Why the worker must answer 500 instead; the first problem wins.
    var failure: ResponseFailure?
    /// The body once it outgrew the scratch: a block the worker sends through a body stream.
    var spill: FileBlock?
    var spillCapacity = 0
    /// Set by `sendFile`: the file sent as the body.
    var filePath: String?
    /// A streamed async body's writer (AsyncResponse.stream): the head is written now and the
    /// body follows from it (Worker+ResponseWriter.swift).
    var bodyWriter: ResponseBodyWriter?
    /// Whether the handler chose the content type (else a file's comes from its extension).
    var contentTypeSet = false

    init(scratch: ResponseScratch, worker: WorkerContext, slot: UInt32, generation: UInt8) {
        self.scratch = scratch
        self.worker = worker
        self.slot = slot
        self.generation = generation
        let type: StaticString = "text/plain; charset=utf-8"
        scratch.contentType.copyMemory(from: type.utf8Start, byteCount: type.utf8CodeUnitCount)
        contentTypeLength = type.utf8CodeUnitCount
    }

    /// The Content-Type (default "text/plain; charset=utf-8"). A value with control bytes
    /// or longer than 255 bytes is refused and logged, keeping the previous one.
    public var contentType: String {
        get { String(decoding: contentTypeBytes, as: UTF8.self) }
        set {
            var value = newValue
            value.withUTF8 { bytes in
                guard bytes.count <= ResponseScratch.contentTypeCapacity, bytes.allSatisfy({ ASCII.isFieldValueChar($0) }) else {
                    worker.logger.warning(
                        "worker \(worker.index): handler content type refused (control bytes or over \(ResponseScratch.contentTypeCapacity) bytes)")
                    return
                }
                if let base = bytes.baseAddress { scratch.contentType.copyMemory(from: base, byteCount: bytes.count) }
                contentTypeLength = bytes.count
                contentTypeSet = true
            }
        }
    }

    var contentTypeBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: scratch.contentType, count: contentTypeLength) }
    var headerBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: scratch.headers, count: headerLength) }
    var bodyBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: spill?.payload ?? scratch.body, count: bodyLength) }

    /// Adds a header line. The name must be a token and the value free of CR, LF and other
    /// control bytes (RFC 9110 §5.5): anything else is dropped and logged, never sent, so
    /// client input echoed here cannot inject lines. Content-Length, Transfer-Encoding,
    /// Connection, Date and Server are the worker's and are dropped too; Content-Type sets
    /// `contentType`.
    public mutating func addHeader(_ name: String, _ value: String) {
        var name = name
        var value = value
        name.withUTF8 { nameBytes in
            value.withUTF8 { valueBytes in
                addHeader(name: UnsafeRawBufferPointer(nameBytes), value: UnsafeRawBufferPointer(valueBytes))
            }
        }
    }

    /// Adds a header line from bytes; the same checks as `addHeader(_:_:)`.
    public mutating func addHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        guard !name.isEmpty, name.allSatisfy({ ASCII.isTokenChar($0) }), value.allSatisfy({ ASCII.isFieldValueChar($0) }) else {
            worker.logger.warning(
                "worker \(worker.index): handler header \(Response.printable(name)) dropped: invalid name or a control byte (CR, LF, NUL) in its value")
            return
        }
        if ASCII.equalsCaseInsensitive(name, "content-type") {
            contentType = String(decoding: value, as: UTF8.self)
            return
        }
        if ASCII.equalsCaseInsensitive(name, "content-length") || ASCII.equalsCaseInsensitive(name, "transfer-encoding")
            || ASCII.equalsCaseInsensitive(name, "connection") || ASCII.equalsCaseInsensitive(name, "date")
            || ASCII.equalsCaseInsensitive(name, "server") {
            worker.logger.warning("worker \(worker.index): handler header \(Response.printable(name)) dropped: the server writes it")
            return
        }
        let line = name.count + 2 + value.count + 2
        guard headerLength + line <= ResponseScratch.headerCapacity else {
            if failure == nil { failure = .headersTooLarge }
            return
        }
        var at = scratch.headers + headerLength
        at.copyMemory(from: name.baseAddress!, byteCount: name.count)
        at += name.count
        at.storeBytes(of: (UInt8(ascii: ":"), UInt8(ascii: " ")), as: (UInt8, UInt8).self)
        at += 2
        if let base = value.baseAddress { at.copyMemory(from: base, byteCount: value.count) }
        at += value.count
        at.storeBytes(of: (UInt8(ascii: "\r"), UInt8(ascii: "\n")), as: (UInt8, UInt8).self)
        headerLength += line
    }

    /// The request id's header (RequestIDs), added by the worker as the answer is written:
    /// not when the handler set its own, and not when the handler's headers left no room
    /// (the answer matters more than its id).
    mutating func addRequestID(_ id: UnsafeRawBufferPointer) {
        let name: StaticString = "X-Request-Id: "
        let line = name.utf8CodeUnitCount + id.count + 2
        guard !id.isEmpty, headerLength + line <= ResponseScratch.headerCapacity else { return }
        // A line of the handler's starting with the name (lines are "Name: value\r\n").
        var start = 0
        while start < headerLength {
            var end = start
            while end < headerLength && scratch.headers.load(fromByteOffset: end, as: UInt8.self) != UInt8(ascii: "\r") { end += 1 }
            if end - start > 12, ASCII.equalsCaseInsensitive(UnsafeRawBufferPointer(start: scratch.headers + start, count: 12), "x-request-id") {
                return
            }
            start = end + 2
        }
        var at = scratch.headers + headerLength
        at.copyMemory(from: name.utf8Start, byteCount: name.utf8CodeUnitCount)
        at += name.utf8CodeUnitCount
        at.copyMemory(from: id.baseAddress!, byteCount: id.count)
        at += id.count
        at.storeBytes(of: (UInt8(ascii: "\r"), UInt8(ascii: "\n")), as: (UInt8, UInt8).self)
        headerLength += line
    }

    /// Appends bytes to the body.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty, failure != .bodyTooLarge else { return }
        if spill == nil && bodyLength + bytes.count <= scratch.bodyCapacity {
            (scratch.body + bodyLength).copyMemory(from: source, byteCount: bytes.count)
        } else {
            guard growSpill(to: bodyLength + bytes.count), let spill else {
                if failure == nil { failure = .bodyTooLarge }
                return
            }
            (spill.payload + bodyLength).copyMemory(from: source, byteCount: bytes.count)
        }
        bodyLength += bytes.count
    }

    /// Largest body a handler may write (then 500): what one worker holds for one response.
    static let maxBodyLength = 1 << 30

    /// Moves the body into (or grows) the spill block so it holds `count` bytes. Allocates:
    /// only bodies larger than the scratch pay for it.
    mutating func growSpill(to count: Int) -> Bool {
        if count <= spillCapacity { return true }
        guard count <= Response.maxBodyLength else { return false }
        let capacity = max(count, 2 * spillCapacity, 2 * scratch.bodyCapacity)
        guard let grown = FileBlock.allocate(keyLength: 0, payload: capacity) else { return false }
        if bodyLength > 0 { grown.payload.copyMemory(from: spill?.payload ?? scratch.body, byteCount: bodyLength) }
        spill?.release()
        spill = grown
        spillCapacity = capacity
        return true
    }

    deinit { spill?.release() }

    /// Appends bytes to the body.
    public mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Appends UTF-8 text to the body.
    public mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Bytes written to the body so far.
    public var bodyCount: Int { bodyLength }

    /// Discards the body written so far (the status, type and headers stay).
    public mutating func clearBody() {
        bodyLength = 0
        spill?.release()
        spill = nil
        spillCapacity = 0
        if failure == .bodyTooLarge { failure = nil }
    }

    /// Sends the file at `path` (absolute, or relative to the working directory) as the body,
    /// replacing anything written. The worker opens it when the handler returns, answers
    /// with its `ETag` and `Last-Modified`, the content type set here or else the one of its
    /// extension, and streams it with IORING_OP_READ; 404 or 403 when it cannot be opened.
    /// The path is the handler's choice: no root confines it (use a directory route for
    /// request paths).
    public mutating func sendFile(_ path: String) {
        clearBody()
        filePath = path
    }

    /// Finishes this response later, from the same worker thread: what was written so far is
    /// discarded, the handler returns, and the response goes out when `finish` is called on
    /// the token (from a timer of `request.worker`, or another handler on this worker).
    /// Later requests pipelined on the connection wait behind it, in order. Calling it again
    /// returns the same token.
    public mutating func finishLater() -> DeferredResponse {
        if deferralID == 0 { deferralID = worker.takeDeferralID() }
        return DeferredResponse(worker: worker, slot: slot, generation: generation, id: deferralID)
    }

    /// Why this response cannot be sent as written: the first problem recorded, else a status
    /// below 200 (an interim response cannot end a request). nil when it can be sent.
    var problem: ResponseFailure? {
        failure ?? ((200...999).contains(status.rawValue) ? nil : .invalidStatus)
    }

    /// 204 and 304 never carry a body, however it was written (RFC 9110 §15.3.5, §15.4.5).
    var forbidsBody: Bool { status.rawValue == 204 || status.rawValue == 304 }

    /// A header name for a log line: at most 64 bytes, anything but visible ASCII as "?".
    static func printable(_ bytes: UnsafeRawBufferPointer) -> String {
        let visible = bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") ? $0 : UInt8(ascii: "?") }
        return "\"" + String(decoding: visible, as: UTF8.self) + "\""
    }
}

/// Why a handler's response is replaced by a 500.
enum ResponseFailure: Equatable {
    case bodyTooLarge
    case headersTooLarge
    case invalidStatus
}

/// The per-worker memory responses are written into, reused by every handler call.
struct ResponseScratch {
    static let headerCapacity = 4096
    static let contentTypeCapacity = 255
    let body: UnsafeMutableRawPointer
    let bodyCapacity: Int
    let headers: UnsafeMutableRawPointer
    let contentType: UnsafeMutableRawPointer

    init(bodyCapacity: Int) {
        self.bodyCapacity = bodyCapacity
        body = .allocate(byteCount: max(bodyCapacity, 1), alignment: 64)
        headers = .allocate(byteCount: ResponseScratch.headerCapacity, alignment: 64)
        contentType = .allocate(byteCount: ResponseScratch.contentTypeCapacity, alignment: 64)
    }

    func deallocate() {
        body.deallocate()
        headers.deallocate()
        contentType.deallocate()
    }
}
