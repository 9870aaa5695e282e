// The same items as async handlers (docs/handlers.md, "Async handlers"): each awaits a
// simulated database whose answers come from another thread after a delay, as a real
// database client's would, and resumes on the worker that received the request.
import Dispatch
import FoundationEssentials
import Ringmaster
import RingmasterHTTP

/// A database with latency: every call is answered on another thread after `milliseconds`.
struct SimulatedDatabase: Sendable {
    let store: ItemStore
    let milliseconds: Int

    private func answer<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { continuation.resume(returning: work()) }
        }
    }

    func item(_ id: Int) async -> Item? { await answer { store.item(id) } }
    func add(_ new: NewItem) async -> Item { await answer { store.add(new) } }
}

enum AsyncAPI {
    /// Adds /api/v2/items routes over `database`.
    static func register(in router: inout Router, database: SimulatedDatabase) {
        router.get("/api/v2/items/{id}") { request async throws in
            guard let id = request.intParameter("id"), let item = await database.item(id) else {
                throw HTTPError(.notFound, "{\"error\":\"no such item\"}")
            }
            return try .json(item)
        }
        router.post("/api/v2/items") { request async throws in
            let new = try request.decode(NewItem.self)
            guard !new.name.isEmpty else { throw HTTPError(.badRequest, "{\"error\":\"a name is required\"}") }
            let item = await database.add(new)
            var response = try AsyncResponse.json(item, status: .created)
            response.headers.append(("Location", "/api/v2/items/\(item.id)"))
            return response
        }
    }
}
