// A response as a client received it, read back from the bytes the server wrote: what
// RouterTester returns, so a test checks the same status line, fields and body the wire gets.

/// Status, header fields and body of one response.
public struct RecordedResponse: Sendable {
    public let status: Int
    /// The fields in the order written (the server's Server, Date, Content-Type,
    /// Content-Length first, then the handler's).
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The value of the first field named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of fields named `name`, in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// Reads a whole response (head, and the body unless `headOnly`) from `bytes`.
    init(parsing bytes: UnsafeRawBufferPointer, headOnly: Bool) throws {
        let all = Array(bytes)
        var end = 0
        while end + 3 < all.count && !(all[end] == 13 && all[end + 1] == 10 && all[end + 2] == 13 && all[end + 3] == 10) { end += 1 }
        guard end + 3 < all.count else { throw RouterTesterError.unsupported("response without an end of head") }
        let lines = String(decoding: all[0..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RouterTesterError.unsupported("status line \(lines[0])") }
        self.status = status
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        body = headOnly ? [] : Array(all[(end + 4)...])
    }
}
