// The ring's pure pieces: the user_data codec at its field limits, layout of the structs the
// hot path depends on, and the buffer ring's recycle/publish rule.
import CURing
import RingmasterHTTP
import Testing
@testable import Ringmaster

@Suite struct UserDataTests {
    @Test(arguments: [
        (UInt32(0), Operation.accept, UInt16(0), UInt8(0)),
        (UInt32.max, Operation.timeout, UInt16.max, UInt8.max),
        (UInt32(0x8000_0001), Operation.send, UInt16(0x8001), UInt8(0x81)),
        (UInt32(19_999), Operation.recv, UInt16(4095), UInt8(255)),
    ])
    func roundTrip(slot: UInt32, operation: Operation, buffer: UInt16, generation: UInt8) {
        let data = UserData(slot: slot, operation: operation, buffer: buffer, generation: generation)
        #expect(data.slot == slot)
        #expect(data.operation == operation)
        #expect(data.buffer == buffer)
        #expect(data.generation == generation)
        #expect(UserData(rawValue: data.rawValue) == data)
    }

    @Test func fieldsDoNotOverlap() {
        let all = UserData(slot: .max, operation: .close, buffer: .max, generation: .max)
        #expect(all.rawValue == 0xFFFF_FFFF_0000_0000 | UInt64(Operation.close.rawValue) << 24 | 0x00FF_FFFF)
        #expect(UserData(slot: 0, operation: .close, buffer: 0, generation: 1).rawValue == UInt64(Operation.close.rawValue) << 24 | 1)
    }

    @Test func unknownOperationDecodesToNil() {
        #expect(UserData(rawValue: 0xEE << 24).operation == nil)
    }
}

@Suite struct LayoutTests {
    @Test func connectionRecordIsOneCacheLine() {
        #expect(MemoryLayout<ConnectionRecord>.size == 64)
        #expect(MemoryLayout<ConnectionRecord>.stride == 64)
        #expect(MemoryLayout<BodyDecoder>.size <= 16)
    }

    @Test func connectionTableRecordsStartOnCacheLines() throws {
        let table = try ConnectionTable(capacity: 1000, node: nil)
        for slot in [UInt32(0), 1, 2, 999] {
            #expect(UInt(bitPattern: table.address(of: slot)) % 64 == 0)
        }
        #expect(table.address(of: 1) - table.address(of: 0) == 64)
    }

    @Test func connectionTableInitialisesRecordsOnlyAsFarAsSlotsAreReached() throws {
        var table = try ConnectionTable(capacity: 16_384, node: nil)
        #expect(table.highWater == 0)
        // Untouched memory: the 1 MiB of records is not resident until slots are used.
        #expect(residentPages(UnsafeMutableRawPointer(mutating: table.address(of: 0)), length: 16_384 * 64) == 0)
        table.reach(0)
        table.reach(5)
        #expect(table.highWater == 6)
        for slot in UInt32(0)...5 {
            #expect(!table[slot].pointee.isOpen && table[slot].pointee.generation == 0)
            #expect(table[slot].pointee.outChunk == ChunkSlab.none, "a skipped slot is initialised too")
        }
        table[2].pointee.generation = 7
        table.reach(3)
        #expect(table.highWater == 6 && table[2].pointee.generation == 7, "reaching a lower slot changes nothing")
        #expect(residentPages(UnsafeMutableRawPointer(mutating: table.address(of: 0)), length: 16_384 * 64) == 1)
    }

    @Test func kernelStructsMatchTheABI() {
        #expect(MemoryLayout<io_uring_sqe>.size == 64)
        #expect(MemoryLayout<io_uring_cqe>.size == 16)
        #expect(MemoryLayout<io_uring_buf>.size == 16)
    }

    @Test func workerStatisticsOwnWholeCacheLines() {
        let a = WorkerStatistics()
        let b = WorkerStatistics()
        for s in [a, b] {
            #expect(UInt(bitPattern: s.address) % 64 == 0)
            #expect(s.byteCount % 64 == 0)
            #expect(s.byteCount >= WorkerCounter.allCases.count * 8)
        }
        // Two workers' blocks never share a line: disjoint, line-aligned ranges.
        let aStart = UInt(bitPattern: a.address), bStart = UInt(bitPattern: b.address)
        #expect(aStart + UInt(a.byteCount) <= bStart || bStart + UInt(b.byteCount) <= aStart)
    }

    @Test func setsockoptSQEUsesTheUapiOffsets() {
        var sqe = io_uring_sqe()
        var value: Int32 = 1
        curing_prep_setsockopt(&sqe, 7, 6, 1, &value, 4)
        let raw = withUnsafeBytes(of: &sqe) { Array($0) }
        #expect(raw[0] == UInt8(IORING_OP_URING_CMD.rawValue))
        #expect(raw[8..<12] == [3, 0, 0, 0])                       // cmd_op = SOCKET_URING_OP_SETSOCKOPT
        #expect(raw[16..<20] == [6, 0, 0, 0])                      // level
        #expect(raw[20..<24] == [1, 0, 0, 0])                      // optname
        #expect(raw[44..<48] == [4, 0, 0, 0])                      // optlen
        let optval = withUnsafeBytes(of: &sqe) { $0.load(fromByteOffset: 48, as: UInt64.self) }
        #expect(optval == UInt64(UInt(bitPattern: withUnsafePointer(to: &value) { $0 })))
    }
}

@Suite struct ProvidedBufferRingTests {
    @Test func startsFullAndPublished() throws {
        let ring = try ProvidedBufferRing(count: 8, bufferSize: 512, groupID: 3, hugePages: .off, node: nil)
        #expect(ring.tail == 8)
        #expect(ring.kernelVisibleTail == 8)
        for i in 0..<UInt16(8) {
            let e = ring.entry(at: i)
            #expect(e.id == i)
            #expect(e.length == 512)
            #expect(e.address == UInt64(UInt(bitPattern: ring.buffer(i))))
        }
    }

    @Test func recycleWritesEntriesWithoutPublishing() throws {
        var ring = try ProvidedBufferRing(count: 8, bufferSize: 512, groupID: 0, hugePages: .off, node: nil)
        ring.recycle(5)
        ring.recycle(2)
        #expect(ring.tail == 10)
        #expect(ring.kernelVisibleTail == 8, "recycling must not publish")
        #expect(ring.entry(at: 8).id == 5)
        #expect(ring.entry(at: 9).id == 2)
        let first = ring.publish()
        #expect(first)
        #expect(ring.kernelVisibleTail == 10)
        let second = ring.publish()
        #expect(!second, "an unmoved tail is not stored again")
    }

    @Test func tailWrapsAt16Bits() throws {
        var ring = try ProvidedBufferRing(count: 4, bufferSize: 512, groupID: 0, hugePages: .off, node: nil)
        for i in 0..<70_000 { ring.recycle(UInt16(i % 4)) }
        ring.publish()
        #expect(ring.kernelVisibleTail == UInt16(truncatingIfNeeded: 4 + 70_000))
        #expect(ring.entry(at: ring.tail &- 1).id == UInt16((70_000 - 1) % 4))
    }

    @Test func entryZeroKeepsTheTailIntact() throws {
        var ring = try ProvidedBufferRing(count: 4, bufferSize: 512, groupID: 0, hugePages: .off, node: nil)
        // Writing entry 0 (ring index 4 & 3) must not clobber the tail that overlays its resv.
        ring.recycle(1)
        ring.recycle(2)
        ring.recycle(3)
        ring.recycle(0)
        #expect(ring.kernelVisibleTail == 4)
        ring.publish()
        #expect(ring.kernelVisibleTail == 8)
    }

    @Test func rejectsNonPowerOfTwoCounts() {
        #expect(throws: SetupError.self) { _ = try ProvidedBufferRing(count: 12, bufferSize: 512, groupID: 0, hugePages: .off, node: nil) }
    }
}

@Suite struct ChunkSlabTests {
    @Test func reusesLastFreedFirst() throws {
        var slab = try ChunkSlab(chunkSize: 4096, capacity: 3, node: nil)
        let a = slab.allocate()
        let b = slab.allocate()
        #expect(a == 0 && b == 1)
        slab.release(0)
        let again = slab.allocate()
        #expect(again == 0)
        let third = slab.allocate()
        #expect(third == 2)
        let none = slab.allocate()
        #expect(none == nil, "capacity reached")
        #expect(slab.inUse == 3)
        slab.release(1)
        #expect(slab.inUse == 2)
        #expect(slab.pointer(1) - slab.pointer(0) == 4096)
    }
}

@Suite struct ResponseTableTests {
    @Test func routesOfDifferentSizesKeepTheirOwnBytes() {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 60_000)
        var table = ResponseTable(routes: [
            StaticRoute(path: "/", body: big), StaticRoute(path: "/small", body: Array("ok\n".utf8)),
        ], serverName: "ringmaster")
        table.refresh(date: HTTPDate(unixSeconds: 784111777))
        let small = String(decoding: table.response(route: 1, close: true, headOnly: false), as: UTF8.self)
        #expect(small.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(small.contains("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
        #expect(small.contains("Connection: close\r\n"))
        #expect(small.hasSuffix("\r\n\r\nok\n"))
        let large = table.response(route: 0, close: false, headOnly: false)
        #expect(large.suffix(60_000).allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(table.response(route: 0, close: false, headOnly: true).count == large.count - 60_000)
        #expect(table.match(target: UnsafeRawBufferPointer(start: ("/small?x=1" as StaticString).utf8Start, count: 10), method: .get) == .route(1))
        #expect(table.match(target: UnsafeRawBufferPointer(start: ("/smal" as StaticString).utf8Start, count: 5), method: .get) == .notFound)
    }
}

@Suite struct RouterTests {
    func target(_ text: StaticString) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) }

    static func makeTable() -> ResponseTable { ResponseTable(routes: [
        StaticRoute(path: "/api", match: .prefix, methods: [.get, .post], body: Array("api\n".utf8)),
        StaticRoute(path: "/api/users", match: .prefix, methods: .read, body: Array("users\n".utf8)),
        StaticRoute(path: "/api/users/me", methods: [.put], body: Array("me\n".utf8)),
        StaticRoute(path: "/", body: Array("root\n".utf8)),
        StaticRoute.redirect("/old", to: "/new", status: .movedPermanently),
        StaticRoute(path: "/metrics", kind: .metrics),
    ], serverName: "ringmaster") }

    @Test func exactBeatsPrefixAndLongestPrefixWins() {
        let table = RouterTests.makeTable()
        #expect(table.match(target: target("/api/users/me"), method: .put) == .route(2))
        #expect(table.match(target: target("/api/users/42"), method: .get) == .route(1))
        #expect(table.match(target: target("/api/orders?x"), method: .post) == .route(0))
        #expect(table.match(target: target("/"), method: .head) == .route(3), "HEAD is served wherever GET is")
        #expect(table.match(target: target("/nope"), method: .get) == .notFound)
        #expect(table.kind(of: 5) == .metrics)
    }

    @Test func wrongMethodGives405WithEveryMethodThePathAccepts() {
        let table = RouterTests.makeTable()
        #expect(table.match(target: target("/api/users/me"), method: .get) == .methodNotAllowed([.put]))
        #expect(table.match(target: target("/api/users/9"), method: .delete) == .methodNotAllowed(.read))
        #expect(table.match(target: target("/api/x"), method: .delete) == .methodNotAllowed([.get, .head, .post]))
    }

    @Test func allowHeaderListsMethodsInOrder() {
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)
        defer { scratch.deallocate() }
        let line = Worker.writeAllowHeader([.post, .get, .head, .patch], into: scratch)
        #expect(String(decoding: line, as: UTF8.self) == "Allow: GET, HEAD, POST, PATCH\r\n")
    }

    @Test func redirectCarriesLocation() {
        let table = RouterTests.makeTable()
        let text = String(decoding: table.response(route: 4, close: false, headOnly: true), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 301 Moved Permanently\r\n"))
        #expect(text.contains("\r\nLocation: /new\r\n"))
    }
}
