// The request part of an access log line (method, target, protocol, and for the combined and
// JSON formats Referer, User-Agent and the time the head was parsed), captured from the head
// while its receive buffer is still there, already escaped for the worker's format. A response
// can be decided long after its head's buffer went back to the kernel (a request body is read
// first), so the line is finished later from this record, not from the head.
import RingmasterHTTP

/// The fixed 2 KiB record one captured request is kept in.
///
/// Layout: byte 0 is 1 once captured, byte 1 the `HTTPVersion`, byte 2 the method length;
/// bytes 4-5 the target length, 6-7 the Referer's, 8-9 the User-Agent's (`absent` when the
/// request had none); bytes 16-23 the monotonic nanoseconds at capture (JSON only, else 0).
/// The method at 24 (at most 32 bytes), the target at 56 (at most 968 bytes, escaped, cut with
/// "..." beyond that, as HAProxy caps logged URIs at 1024), the Referer at 1024 and the
/// User-Agent at 1536 (at most 512 bytes each, escaped and cut the same way).
enum AccessLogRequest {
    static let size = 2048
    static let methodOffset = 24
    static let methodCapacity = 32
    static let targetOffset = methodOffset + methodCapacity
    static let targetCapacity = 1024 - targetOffset
    static let refererOffset = 1024
    static let userAgentOffset = 1536
    static let fieldCapacity = 512
    /// A length meaning "the request had no such field" ("-" in combined, null in JSON).
    static let absent = UInt16.max

    /// Fills `record` from the head's method and target bytes, and for formats that log them
    /// the Referer and User-Agent values (nil: not sent) and `startNanoseconds`.
    static func capture(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, version: HTTPVersion,
                        referer: UnsafeRawBufferPointer? = nil, userAgent: UnsafeRawBufferPointer? = nil,
                        startNanoseconds: UInt64 = 0, format: AccessLogFormat, into record: UnsafeMutableRawPointer) {
        // A method is a token (RFC 9110 §5.6.2): no byte of it needs escaping in either format.
        let methodLength = min(method.count, methodCapacity)
        if methodLength > 0 { (record + methodOffset).copyMemory(from: method.baseAddress!, byteCount: methodLength) }
        let targetLength = AccessLogLine.escape(target, format: format, into: record + targetOffset, capacity: targetCapacity)
        record.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
        record.storeBytes(of: version.rawValue, toByteOffset: 1, as: UInt8.self)
        record.storeBytes(of: UInt8(methodLength), toByteOffset: 2, as: UInt8.self)
        record.storeBytes(of: UInt16(targetLength), toByteOffset: 4, as: UInt16.self)
        captureField(referer, format: format, at: refererOffset, lengthOffset: 6, into: record)
        captureField(userAgent, format: format, at: userAgentOffset, lengthOffset: 8, into: record)
        record.storeBytes(of: startNanoseconds, toByteOffset: 16, as: UInt64.self)
    }

    static func captureField(_ value: UnsafeRawBufferPointer?, format: AccessLogFormat, at offset: Int, lengthOffset: Int,
                             into record: UnsafeMutableRawPointer) {
        guard let value else {
            record.storeBytes(of: absent, toByteOffset: lengthOffset, as: UInt16.self)
            return
        }
        let length = AccessLogLine.escape(value, format: format, into: record + offset, capacity: fieldCapacity)
        record.storeBytes(of: UInt16(length), toByteOffset: lengthOffset, as: UInt16.self)
    }

    /// Copies the used parts of `source` to `destination`.
    static func copy(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer) {
        destination.copyMemory(from: source, byteCount: targetOffset + targetLength(source))
        if let value = referer(source), value.count > 0 { (destination + refererOffset).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        if let value = userAgent(source), value.count > 0 { (destination + userAgentOffset).copyMemory(from: value.baseAddress!, byteCount: value.count) }
    }

    @inline(__always)
    static func methodLength(_ record: UnsafeRawPointer) -> Int { Int(record.load(fromByteOffset: 2, as: UInt8.self)) }

    @inline(__always)
    static func targetLength(_ record: UnsafeRawPointer) -> Int { Int(record.load(fromByteOffset: 4, as: UInt16.self)) }

    /// The Referer's escaped bytes, or nil when the request had none.
    @inline(__always)
    static func referer(_ record: UnsafeRawPointer) -> UnsafeRawBufferPointer? { field(record, at: refererOffset, lengthOffset: 6) }

    /// The User-Agent's escaped bytes, or nil when the request had none.
    @inline(__always)
    static func userAgent(_ record: UnsafeRawPointer) -> UnsafeRawBufferPointer? { field(record, at: userAgentOffset, lengthOffset: 8) }

    @inline(__always)
    static func field(_ record: UnsafeRawPointer, at offset: Int, lengthOffset: Int) -> UnsafeRawBufferPointer? {
        let length = record.load(fromByteOffset: lengthOffset, as: UInt16.self)
        return length == absent ? nil : UnsafeRawBufferPointer(start: record + offset, count: Int(length))
    }

    /// Monotonic nanoseconds when the head was captured (0 unless the format logs a duration).
    @inline(__always)
    static func startNanoseconds(_ record: UnsafeRawPointer) -> UInt64 { record.load(fromByteOffset: 16, as: UInt64.self) }

    /// "HTTP/1.0" or "HTTP/1.1".
    @inline(__always)
    static func protocolName(_ record: UnsafeRawPointer) -> StaticString {
        record.load(fromByteOffset: 1, as: UInt8.self) == HTTPVersion.http10.rawValue ? "HTTP/1.0" : "HTTP/1.1"
    }
}
