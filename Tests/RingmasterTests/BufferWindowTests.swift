// The receive-buffer window (issue 15, item 3): a ring starts with 128 KiB of its buffers,
// faulted in; the rest of the mapping stays unresident until receives run dry and the window
// doubles. mincore(2) says which pages are resident.
import Glibc
import Testing
@testable import Ringmaster

/// Resident pages of [p, p + length) according to mincore(2).
func residentPages(_ p: UnsafeMutableRawPointer, length: Int) -> Int {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let pages = (length + page - 1) / page
    var vector = [UInt8](repeating: 0, count: pages)
    guard mincore(p, length, &vector) == 0 else { return -1 }
    return vector.reduce(0) { $0 + Int($1 & 1) }
}

@Suite struct BufferWindowTests {
    @Test func aRingStartsWithAWindowAndTheRestIsNotResident() throws {
        let ring = try ProvidedBufferRing(count: 1024, bufferSize: 4096, groupID: 0, hugePages: .off, node: nil)
        #expect(ring.introduced == 32, "128 KiB of 4 KiB buffers")
        #expect(ring.kernelVisibleTail == 32)
        #expect(ring.entry(at: 31).id == 31)
        #expect(residentPages(ring.buffer(0), length: 32 * 4096) == 32, "the window is faulted in: receives never fault")
        #expect(residentPages(ring.buffer(32), length: 992 * 4096) == 0, "the rest is address space only")
    }

    @Test func widenDoublesOnlyWhenReceivesRunDryInConsecutiveSeconds() throws {
        var ring = try ProvidedBufferRing(count: 128, bufferSize: 4096, groupID: 0, hugePages: .off, node: nil)
        #expect(ring.introduced == 32)
        #expect(ring.widen(now: 100) == 0, "a burst within one second is served by parking")
        #expect(ring.widen(now: 100) == 0)
        #expect(ring.widen(now: 101) == 32, "dry again the next second: the window doubles")
        #expect(ring.widen(now: 101) == 0, "once a second")
        #expect(ring.kernelVisibleTail == 32, "published with the next batch")
        ring.publish()
        #expect(ring.kernelVisibleTail == 64)
        #expect(ring.entry(at: 63).id == 63)
        #expect(residentPages(ring.buffer(32), length: 32 * 4096) == 32)
        #expect(ring.widen(now: 105) == 0, "a new dry spell after a quiet gap waits a second again")
        #expect(ring.widen(now: 106) == 64)
        ring.publish()
        let whole = ring.isWhole
        #expect(whole)
        #expect(ring.widen(now: 107) == 0, "nothing left to add")
    }

    @Test func smallRingsAndExplicitWindowsStartWhole() throws {
        let small = try ProvidedBufferRing(count: 8, bufferSize: 1024, groupID: 0, hugePages: .off, node: nil)
        let smallIsWhole = small.isWhole
        #expect(smallIsWhole)
        let large = try ProvidedBufferRing(count: 16, bufferSize: 65536, groupID: 0, hugePages: .off, node: nil)
        #expect(large.introduced == 8, "at least 8 buffers, even when they pass 128 KiB")
        let explicit = try ProvidedBufferRing(count: 1024, bufferSize: 4096, groupID: 1, hugePages: .off, node: nil, window: 1024)
        let explicitIsWhole = explicit.isWhole
        #expect(explicitIsWhole)
    }

    @Test func aBurstThroughAWindowedRingIsServedWithoutAddingAGroup() throws {
        var c = TestServer.configuration()
        c.bufferCount = 1024
        c.bufferSize = 1024
        c.bufferGroupsMax = 1
        let server = try TestServer(c)
        // The ring starts with 128 of its 1024 buffers; 400 requests of three buffers each
        // sent at once need more, so receives run dry, connections park and the window
        // widens (no group can be added with max_groups = 1).
        #expect(try burst(port: server.port, count: 400, request: paddedRequest) == 400)
        #expect(server.server.total(.requests) == 400)
        #expect(try burst(port: server.port, count: 400, request: paddedRequest) == 400)
    }
}
