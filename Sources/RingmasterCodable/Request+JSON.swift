// Request bodies decoded into `Decodable` values; bad input is the client's fault, so it
// surfaces as `HTTPError(.badRequest)` with a short reason that names the field, which a
// throwing handler answers as a 400 without writing any error handling of its own.
import FoundationEssentials
import Ringmaster
import RingmasterHTTP

extension Request {
    /// The body decoded from JSON as `type`. An empty body, invalid JSON or a value of the
    /// wrong shape throws `HTTPError` 400 whose message says what was wrong.
    public func decodeJSON<Value: Decodable>(_ type: Value.Type = Value.self, decoder: JSONDecoder = JSONDecoder()) throws(HTTPError) -> Value {
        guard !bodyBytes.isEmpty else { throw HTTPError(.badRequest, "expected a JSON body\n") }
        do {
            return try decoder.decode(type, from: Data(bodyBytes))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, "invalid JSON body: \(Request.reason(error))\n")
        } catch {
            throw HTTPError(.badRequest, "invalid JSON body\n")
        }
    }

    /// What a client needs to fix: the field's path and the problem, not Swift type names.
    static func reason(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context): return "null at \(path(context.codingPath))"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        @unknown default: return "not decodable"
        }
    }
}
