// The example's JSON API as Ringmaster handlers: list, read, create and delete items, and a
// response finished later from a timer on the worker's ring (the way to wait without
// blocking the worker).
import FoundationEssentials
import Ringmaster
import RingmasterCodable
import RingmasterHTTP

enum API {
    /// Adds the API routes to `router`, serving `store`.
    static func register(in router: inout Router, store: ItemStore) {
        router.get("/api/items") { _, response in
            json(store.all, into: &response)
        }
        router.post("/api/items") { request, response in
            guard let new = try? request.decodeJSON(NewItem.self), !new.name.isEmpty else {
                problem(.badRequest, "expected a JSON object like {\"name\": \"milk\"}", into: &response)
                return
            }
            let item = store.add(new)
            response.status = .created
            response.addHeader("Location", "/api/items/\(item.id)")
            json(item, into: &response)
        }
        // {id} is a path parameter; int("id") is nil for "/api/items/abc" (then 404 too).
        router.get("/api/items/{id}") { request, response in
            guard let id = request.parameters.int("id"), let item = store.item(id) else {
                problem(.notFound, "no such item", into: &response)
                return
            }
            json(item, into: &response)
        }
        router.delete("/api/items/{id}") { request, response in
            guard let id = request.parameters.int("id"), store.remove(id) else {
                problem(.notFound, "no such item", into: &response)
                return
            }
            response.status = .noContent
        }
        // Waits without blocking: the worker arms a timer on its ring and serves others meanwhile.
        router.get("/api/slow") { request, response in
            let milliseconds = min(Int(request.queryItem("ms") ?? "") ?? 100, 10_000)
            let later = response.finishLater()
            request.worker.after(milliseconds: milliseconds) {
                later.finish { response in json(["waited_ms": milliseconds], into: &response) }
            }
        }
    }

    static func json(_ value: some Encodable, into response: inout Response) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try response.json(value, status: response.status, encoder: encoder)
        } catch {
            response.text("cannot encode the answer\n", status: .internalServerError)
        }
    }

    static func problem(_ status: HTTPStatus, _ message: String, into response: inout Response) {
        response.status = status
        json(["error": message], into: &response)
    }
}
