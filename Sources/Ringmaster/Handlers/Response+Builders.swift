// One-call answers for the common cases: a text body or a byte body with its status and
// content type, replacing whatever body was written. They are the in-place writer underneath
// (no allocation for bodies that fit the scratch); JSON lives in RingmasterCodable, so this
// library stays free of Foundation.
import RingmasterHTTP

extension Response {
    /// Answers with `text` as the body (replacing any written), `status` and a text content type.
    public mutating func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8") {
        self.status = status
        self.contentType = contentType
        clearBody()
        write(text)
    }

    /// Answers with `bytes` as the body (replacing any written), `status` and `contentType`.
    public mutating func bytes(_ bytes: UnsafeRawBufferPointer, status: HTTPStatus = .ok, contentType: String = "application/octet-stream") {
        self.status = status
        self.contentType = contentType
        clearBody()
        write(bytes)
    }

    /// Answers with `bytes` as the body (replacing any written), `status` and `contentType`.
    public mutating func bytes(_ bytes: [UInt8], status: HTTPStatus = .ok, contentType: String = "application/octet-stream") {
        bytes.withUnsafeBytes { self.bytes($0, status: status, contentType: contentType) }
    }
}
