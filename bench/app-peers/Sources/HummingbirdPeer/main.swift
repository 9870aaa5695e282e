// The benchmark application on Hummingbird 2: the same routes as RingmasterPeer (GET
// /items/:id, POST /items, GET /db/:id awaiting a 1 ms simulated database call), on one NIO
// event loop thread; the port from argv[1].
import Hummingbird
import Logging
import NIOPosix

struct Item: ResponseCodable {
    var id: Int
    var name: String
}

let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8080
let router = Router()
router.get("items/:id") { _, context -> Item in
    let id = try context.parameters.require("id", as: Int.self)
    return Item(id: id, name: "item \(id)")
}
router.post("items") { request, context -> EditedResponse<Item> in
    var item = try await request.decode(as: Item.self, context: context)
    item.name += " (saved)"
    return EditedResponse(status: .created, response: item)
}
router.get("db/:id") { _, context -> Item in
    let id = try context.parameters.require("id", as: Int.self)
    try await Task.sleep(for: .milliseconds(1))
    return Item(id: id, name: "item \(id)")
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                      eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)), logger: Logger(label: "peer"))
try await app.runService()
