// The path parameters of a pattern route (`/items/{id}`, `/files/**`), as handlers see them:
// offsets into the request path that the worker wrote into a fixed per-worker array while
// matching, so reading a parameter's bytes or its integer value costs no allocation.
import Glibc

/// Path parameters of the request: `request.parameters["id"]`.
///
/// Values are the path's bytes as sent (still percent-encoded); `decoded(_:)` percent-decodes.
/// Like the request's other byte views, it points into worker memory and is valid only
/// during the handler call: copy what must outlive it (the String accessors copy).
public struct Parameters {
    /// The pattern the names are in, and the request path the values are in.
    let pattern: UnsafeRawBufferPointer
    let path: UnsafeRawBufferPointer
    let captures: UnsafePointer<PathCapture>?
    /// How many `{name}` parameters matched.
    public let count: Int
    /// The `**` capture; nil when the route has none.
    let rest: PathCapture?

    /// No parameters (a route that is not a pattern).
    init() {
        pattern = UnsafeRawBufferPointer(start: nil, count: 0)
        path = pattern
        captures = nil
        count = 0
        rest = nil
    }

    init(pattern: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, captures: UnsafePointer<PathCapture>, count: Int, rest: PathCapture?) {
        self.pattern = pattern
        self.path = path
        self.captures = captures
        self.count = count
        self.rest = rest
    }

    /// The bytes of parameter `name` as sent, without copying; nil when the route has none.
    public func bytes(_ name: String) -> UnsafeRawBufferPointer? {
        guard let captures, count > 0 else { return nil }
        var name = name
        return name.withUTF8 { wanted in
            for i in 0..<count {
                let capture = captures[i]
                if Int(capture.nameLength) == wanted.count,
                   memcmp(pattern.baseAddress! + Int(capture.nameStart), wanted.baseAddress!, wanted.count) == 0 { return value(capture) }
            }
            return nil
        }
    }

    /// Parameter `name` as sent (percent-encoded), copied.
    public subscript(_ name: String) -> String? { bytes(name).map { String(decoding: $0, as: UTF8.self) } }

    /// Parameter `name` percent-decoded (a malformed escape is kept as written; "+" stays "+").
    public func decoded(_ name: String) -> String? { bytes(name).map { PathDecoding.decode($0) } }

    /// Parameter `name` as a decimal integer (an optional "-", then digits, no overflow);
    /// nil when absent or not one. Reads the bytes in place: no allocation.
    public func int(_ name: String) -> Int? {
        guard let bytes = bytes(name), !bytes.isEmpty else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        guard !negative || bytes.count > 1 else { return nil }
        var value = 0
        for byte in negative ? UnsafeRawBufferPointer(rebasing: bytes[1...]) : bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// What `**` matched (the rest of the path after its "/", possibly empty), without
    /// copying; nil when the route has no `**`.
    public var catchAllBytes: UnsafeRawBufferPointer? { rest.map { value($0) } }

    /// What `**` matched, as sent (percent-encoded), copied.
    public var catchAll: String? { catchAllBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// Calls `body` with every `{name}` parameter's name and value bytes, in pattern order.
    func forEach(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        guard let captures, count > 0 else { return }
        var i = 0
        while i < count {
            let capture = captures[i]
            body(UnsafeRawBufferPointer(rebasing: pattern[Int(capture.nameStart)..<Int(capture.nameStart) + Int(capture.nameLength)]), value(capture))
            i += 1
        }
    }

    /// The number of `{name}` parameters.
    var parameterCount: Int { captures == nil ? 0 : count }

    private func value(_ capture: PathCapture) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: path[Int(capture.valueStart)..<Int(capture.valueStart) + Int(capture.valueLength)])
    }
}

@available(*, unavailable, message: "parameters point into worker memory valid only during the handler call")
extension Parameters: Sendable {}

/// Percent-decoding of path segments (RFC 3986 §2.1): unlike a query, "+" is a plus.
enum PathDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let high = QueryDecoding.hexValue(bytes[i + 1]),
               let low = QueryDecoding.hexValue(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
