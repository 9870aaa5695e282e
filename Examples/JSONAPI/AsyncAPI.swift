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
    func ids() async -> [Int] { await answer { store.all.map(\.id) } }
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
        // A streaming upload: one JSON item per line, added as the lines arrive (the body is
        // never held whole, however large; docs/handlers.md, "Streaming request bodies").
        router.post("/api/v2/import", streamingBody: { _, body in
            var line: [UInt8] = []
            var added = 0
            func add(_ line: [UInt8]) async throws {
                guard !line.isEmpty else { return }
                guard let new = try? JSONDecoder().decode(NewItem.self, from: Data(line)), !new.name.isEmpty else {
                    throw HTTPError(.badRequest, "{\"error\":\"line \(added + 1) is not an item\"}")
                }
                _ = await database.add(new)
                added += 1
            }
            for try await piece in body {
                for byte in piece {
                    if byte == 0x0A {
                        try await add(line)
                        line.removeAll(keepingCapacity: true)
                    } else {
                        line.append(byte)
                    }
                }
            }
            try await add(line)
            return try .json(["imported": added], status: .created)
        })
        // A streaming download: every item as a JSON line, written as it is read from the
        // database (docs/handlers.md, "Streaming response bodies").
        router.get("/api/v2/export") { _ async throws in
            .stream(contentType: "application/x-ndjson") { writer in
                let encoder = JSONEncoder()
                for id in await database.ids() {
                    guard let item = await database.item(id) else { continue }
                    try await writer.write(Array(try encoder.encode(item)) + [0x0A])
                }
            }
        }
    }
}
