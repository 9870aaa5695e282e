// Pattern route paths without a server: which paths a pattern takes and what it captures,
// how the route table ranks exact, pattern and prefix routes, and which patterns are refused.
import RingmasterHTTP
import Testing
@testable import Ringmaster

@Suite struct PathPatternTests {
    /// Matches `path` against `pattern`; nil when it does not match, else the captures as
    /// (name, value) pairs and the catch-all.
    func match(_ pattern: String, _ path: String) -> (captures: [(String, String)], rest: String?)? {
        let p = Array(pattern.utf8), s = Array(path.utf8)
        let captures = UnsafeMutablePointer<PathCapture>.allocate(capacity: PathPattern.maxCaptures)
        defer { captures.deallocate() }
        var rest = PathCapture(valueStart: UInt32.max)
        let count = p.withUnsafeBytes { p in s.withUnsafeBytes { s in PathPattern.match(p, s, captures: captures, rest: &rest) } }
        guard count >= 0 else { return nil }
        let pairs = (0..<count).map { i in
            let c = captures[i]
            return (String(decoding: p[Int(c.nameStart)..<Int(c.nameStart + c.nameLength)], as: UTF8.self),
                    String(decoding: s[Int(c.valueStart)..<Int(c.valueStart + c.valueLength)], as: UTF8.self))
        }
        let tail = rest.valueStart == UInt32.max ? nil : String(decoding: s[Int(rest.valueStart)..<Int(rest.valueStart + rest.valueLength)], as: UTF8.self)
        return (pairs, tail)
    }

    @Test(arguments: [
        ("/items/{id}", "/items/7", true), ("/items/{id}", "/items/", false), ("/items/{id}", "/items", false),
        ("/items/{id}", "/items/7/", false), ("/items/{id}", "/items/7/x", false), ("/items/{id}", "/item/7", false),
        ("/a/*/c", "/a/b/c", true), ("/a/*/c", "/a//c", false), ("/a/*/c", "/a/b/d", false),
        ("/files/**", "/files/", true), ("/files/**", "/files/a/b.css", true), ("/files/**", "/files", false),
        ("/files/**", "/filesx/a", false), ("/**", "/", true), ("/**", "/anything/at/all", true),
        ("/u/{user}/posts/{post}", "/u/ann/posts/12", true), ("/u/{user}/posts/{post}", "/u/ann/posts", false),
    ])
    func whichPathsAPatternTakes(pattern: String, path: String, matches: Bool) {
        #expect((match(pattern, path) != nil) == matches, "\(pattern) vs \(path)")
    }

    @Test func capturesAreSlicesOfThePathAsSent() throws {
        let two = try #require(match("/u/{user}/posts/{post}", "/u/J%C3%BCrgen/posts/12"))
        #expect(two.captures.map(\.0) == ["user", "post"])
        #expect(two.captures.map(\.1) == ["J%C3%BCrgen", "12"])
        #expect(two.rest == nil)
        let rest = try #require(match("/static/{version}/**", "/static/v2/css/site.css"))
        #expect(rest.captures.map(\.1) == ["v2"])
        #expect(rest.rest == "css/site.css")
        #expect(try #require(match("/files/**", "/files/")).rest == "")
    }

    @Test func invalidPatternsAreNamed() {
        #expect(PathPattern.problem("/items/{id}") == nil)
        #expect(PathPattern.problem("/a/**/b") != nil, "** only last")
        #expect(PathPattern.problem("/items/{id}.json") != nil, "a parameter is a whole segment")
        #expect(PathPattern.problem("/items/{}") != nil)
        #expect(PathPattern.problem("/{a}/{a}") != nil, "names are unique")
        #expect(PathPattern.problem("/" + (0...16).map { "{p\($0)}" }.joined(separator: "/")) != nil, "at most 16")
        #expect(PathPattern.isPattern("/a/*") && PathPattern.isPattern("/a/**") && PathPattern.isPattern("/{x}"))
        #expect(!PathPattern.isPattern("/a*b") && !PathPattern.isPattern("/items/"))
    }

    /// Route table precedence: exact, then patterns by literal segments, then prefixes.
    @Test func exactThenMoreLiteralPatternsThenPrefixes() {
        let routes = [
            StaticRoute(path: "/api/", match: .prefix, body: Array("prefix".utf8)),             // 0
            StaticRoute(path: "/api/**", match: .pattern, body: Array("catch-all".utf8)),       // 1
            StaticRoute(path: "/api/{kind}/{id}", match: .pattern, body: Array("two".utf8)),    // 2
            StaticRoute(path: "/api/items/{id}", match: .pattern, body: Array("items".utf8)),   // 3
            StaticRoute(path: "/api/items/new", body: Array("exact".utf8)),                     // 4
            StaticRoute(path: "/api/users/{id}", match: .pattern, methods: .post),              // 5
        ]
        let table = ResponseTable(routes: routes, serverName: "t")
        func route(_ path: String) -> RouteMatch {
            var target = Array(path.utf8)
            return target.withUnsafeMutableBytes { table.match(target: UnsafeRawBufferPointer($0), method: .get) }
        }
        #expect(route("/api/items/new") == .route(4))
        #expect(route("/api/items/7") == .route(3))
        #expect(route("/api/things/7") == .route(2))
        #expect(route("/api/a/b/c") == .route(1), "** outranks a prefix")
        #expect(route("/api/") == .route(1))
        #expect(route("/api/items/7?x=1") == .route(3), "the query is not part of the path")
        #expect(route("/api/users/7") == .methodNotAllowed(MethodSet.post), "the best-ranked route decides 405, as for exact routes")
        #expect(route("/other") == .notFound)
    }

    /// A route the router cannot serve as written stops the program when it is added, not
    /// at the first request (exit tests: a precondition failure).
    @Test func invalidPatternRoutesStopTheProgram() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.get("/items/{id}.json") { _, _ in }
        }
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.get("/items/{id}", match: .prefix) { _, _ in }
        }
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.group("/api/") { _ in }
        }
    }
}
