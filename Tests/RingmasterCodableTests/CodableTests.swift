// JSON in and out of handlers: Encodable answers with their content type, Decodable bodies,
// and bad input answered 400 with a reason naming the field, through RouterTester.
import Ringmaster
import RingmasterCodable
import RingmasterHTTP
import Testing

struct Item: Codable, Equatable {
    var id: Int
    var name: String
}

@Suite struct CodableTests {
    func app() -> RouterTester {
        var router = Router()
        router.get("/items/{id}") { request, response throws in
            guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest, "id is not a number\n") }
            try response.json(Item(id: id, name: "milk"))
        }
        router.post("/items") { request, response throws in
            let item = try request.decodeJSON(Item.self)
            try response.json(item, status: .created)
        }
        return RouterTester(router)
    }

    @Test func encodableAnswersAreJSON() throws {
        let r = try app().request(.get, "/items/7")
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/json")
        let text = r.bodyText
        #expect(text.contains("\"id\":7") && text.contains("\"name\":\"milk\""))
        #expect(try app().request(.get, "/items/x").status == 400)
    }

    @Test func decodableBodiesRoundTrip() throws {
        let r = try app().request(.post, "/items", headers: [("Content-Type", "application/json")], body: #"{"id":3,"name":"eggs"}"#)
        #expect(r.status == 201)
        #expect(r.bodyText.contains("\"eggs\""))
    }

    @Test(arguments: [
        ("", "expected a JSON body\n"),
        ("not json", "invalid JSON body: not valid JSON\n"),
        (#"{"id":3}"#, "invalid JSON body: missing name\n"),
        (#"{"id":"3","name":"x"}"#, "invalid JSON body: wrong type at id\n"),
        (#"[{"id":1}]"#, "invalid JSON body: wrong type at the top level\n"),
    ])
    func badBodiesAre400WithAReason(body: String, message: String) throws {
        let r = try app().request(.post, "/items", body: body)
        #expect(r.status == 400)
        #expect(r.bodyText == message)
    }
}
