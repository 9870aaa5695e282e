// The benchmark application on Ringmaster: GET /items/{id} (synchronous handler), GET
// /async/items/{id} (async handler), POST /items (JSON in, 201 JSON out; synchronous and
// /async/items async), GET /db/{id} (an async handler awaiting a 1 ms simulated database
// call). One worker; the port from argv[1].
import FoundationEssentials
import Ringmaster
import RingmasterCodable
import Logging

struct Item: Codable, Sendable {
    var id: Int
    var name: String
}

var configuration = ServerConfiguration()
configuration.configuredRoutes = []
configuration.port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8080
configuration.workers = 1
configuration.pinWorkers = false
var router = Router()
router.get("/items/{id}") { request, response in
    guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest) }
    try response.json(Item(id: id, name: "item \(id)"))
}
router.post("/items") { request, response in
    var item = try request.decodeJSON(Item.self)
    item.name += " (saved)"
    try response.json(item, status: .created)
}
router.get("/async/items/{id}") { request async throws in
    guard let id = request.intParameter("id") else { throw HTTPError(.badRequest) }
    return try .json(Item(id: id, name: "item \(id)"))
}
router.post("/async/items") { request async throws in
    var item = try request.decode(Item.self)
    item.name += " (saved)"
    return try .json(item, status: .created)
}
router.get("/db/{id}") { request async throws in
    guard let id = request.intParameter("id") else { throw HTTPError(.badRequest) }
    try await Task.sleep(for: .milliseconds(1))
    return try .json(Item(id: id, name: "item \(id)"))
}
ProcessRunner.run(configuration: configuration, router: router, logger: Logger(label: "peer"))
