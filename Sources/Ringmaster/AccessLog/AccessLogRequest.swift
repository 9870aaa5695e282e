// The request part of an access log line (method, target, protocol), captured from the head
// while its receive buffer is still there, already escaped for the worker's format. A response
// can be decided long after its head's buffer went back to the kernel (a request body is read
// first), so the line is finished later from this record, not from the head.
import RingmasterHTTP

/// The fixed 1 KiB record one captured request is kept in.
///
/// Layout: byte 0 is 1 once captured, byte 1 the `HTTPVersion`, byte 2 the method length,
/// bytes 4-5 the target length; the method at 8 (at most 32 bytes), the target at 40 (at most
/// 984 bytes, escaped, cut with "..." beyond that, as HAProxy caps logged URIs at 1024).
enum AccessLogRequest {
    static let size = 1024
    static let methodOffset = 8
    static let methodCapacity = 32
    static let targetOffset = methodOffset + methodCapacity
    static let targetCapacity = size - targetOffset

    /// Fills `record` from the head's method and target bytes.
    static func capture(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, version: HTTPVersion,
                        format: AccessLogFormat, into record: UnsafeMutableRawPointer) {
        // A method is a token (RFC 9110 §5.6.2): no byte of it needs escaping in either format.
        let methodLength = min(method.count, methodCapacity)
        if methodLength > 0 { (record + methodOffset).copyMemory(from: method.baseAddress!, byteCount: methodLength) }
        let targetLength = AccessLogLine.escape(target, format: format, into: record + targetOffset, capacity: targetCapacity)
        record.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
        record.storeBytes(of: version.rawValue, toByteOffset: 1, as: UInt8.self)
        record.storeBytes(of: UInt8(methodLength), toByteOffset: 2, as: UInt8.self)
        record.storeBytes(of: UInt16(targetLength), toByteOffset: 4, as: UInt16.self)
    }

    /// Copies the used part of `source` to `destination`.
    static func copy(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer) {
        destination.copyMemory(from: source, byteCount: targetOffset + targetLength(source))
    }

    @inline(__always)
    static func methodLength(_ record: UnsafeRawPointer) -> Int { Int(record.load(fromByteOffset: 2, as: UInt8.self)) }

    @inline(__always)
    static func targetLength(_ record: UnsafeRawPointer) -> Int { Int(record.load(fromByteOffset: 4, as: UInt16.self)) }

    /// "HTTP/1.0" or "HTTP/1.1".
    @inline(__always)
    static func protocolName(_ record: UnsafeRawPointer) -> StaticString {
        record.load(fromByteOffset: 1, as: UInt8.self) == HTTPVersion.http10.rawValue ? "HTTP/1.0" : "HTTP/1.1"
    }
}
