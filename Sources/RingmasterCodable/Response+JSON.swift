// JSON answers from `Encodable` values. A target of its own because it needs Foundation's
// JSONEncoder: FoundationEssentials (no ICU data, no networking), which the server library
// itself avoids so that an embedder that never encodes JSON links no Foundation at all.
import FoundationEssentials
import Ringmaster
import RingmasterHTTP

extension Response {
    /// Answers with `value` encoded as JSON (replacing any body written), `status` and
    /// `application/json`. Throws what the encoder throws (a 500 in a throwing handler).
    /// Encoding allocates; it is not on the zero-allocation path.
    public mutating func json(_ value: some Encodable, status: HTTPStatus = .ok, encoder: JSONEncoder = JSONEncoder()) throws {
        let data = try encoder.encode(value)
        data.withUnsafeBytes { bytes($0, status: status, contentType: "application/json") }
    }
}
