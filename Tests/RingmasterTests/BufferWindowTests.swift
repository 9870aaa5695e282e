// The receive-buffer window (issue 15, item 3): a ring starts with 256 KiB of its buffers,
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
        #expect(ring.introduced == 64, "256 KiB of 4 KiB buffers")
        #expect(ring.kernelVisibleTail == 64)
        #expect(ring.entry(at: 63).id == 63)
        #expect(residentPages(ring.buffer(0), length: 64 * 4096) == 64, "the window is faulted in: receives never fault")
        #expect(residentPages(ring.buffer(64), length: 960 * 4096) == 0, "the rest is address space only")
    }

    @Test func widenDoublesOnlyAfterTwoSecondsOfDryReceives() throws {
        var ring = try ProvidedBufferRing(count: 128, bufferSize: 4096, groupID: 0, hugePages: .off, node: nil, window: 32)
        #expect(ring.introduced == 32)
        #expect(ring.widen(now: 100_000) == 0, "a burst is served by parking first")
        #expect(ring.widen(now: 100_900) == 0)
        #expect(ring.widen(now: 101_800) == 0, "still under two seconds of dry receives")
        #expect(ring.widen(now: 102_000) == 32, "a two-second dry spell doubles the window")
        #expect(ring.widen(now: 102_500) == 0, "at most once a second")
        #expect(ring.kernelVisibleTail == 32, "published with the next batch")
        ring.publish()
        #expect(ring.kernelVisibleTail == 64)
        #expect(ring.entry(at: 63).id == 63)
        #expect(residentPages(ring.buffer(32), length: 32 * 4096) == 32)
        #expect(ring.widen(now: 103_000) == 64)
        ring.publish()
        let whole = ring.isWhole
        #expect(whole)
        #expect(ring.widen(now: 104_000) == 0, "nothing left to add")
    }

    @Test func aQuietSecondEndsTheDrySpell() throws {
        var ring = try ProvidedBufferRing(count: 128, bufferSize: 4096, groupID: 0, hugePages: .off, node: nil, window: 32)
        #expect(ring.widen(now: 10_000) == 0)
        #expect(ring.widen(now: 11_500) == 0, "1.5 s without a dry receive: a new spell")
        #expect(ring.widen(now: 12_300) == 0)
        #expect(ring.widen(now: 13_000) == 0, "the new spell is 1.5 s old")
        #expect(ring.widen(now: 13_500) == 32)
    }

    @Test func smallRingsAndExplicitWindowsStartWhole() throws {
        let small = try ProvidedBufferRing(count: 8, bufferSize: 1024, groupID: 0, hugePages: .off, node: nil)
        let smallIsWhole = small.isWhole
        #expect(smallIsWhole)
        let large = try ProvidedBufferRing(count: 16, bufferSize: 65536, groupID: 0, hugePages: .off, node: nil)
        #expect(large.introduced == 8, "at least 8 buffers, even when they pass 256 KiB")
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
        // The ring starts with 256 of its 1024 buffers; 400 requests of three buffers each
        // sent at once need more, so receives run dry, connections park and the window
        // widens (no group can be added with max_groups = 1).
        #expect(try burst(port: server.port, count: 400, request: paddedRequest) == 400)
        #expect(server.server.total(.requests) == 400)
        #expect(try burst(port: server.port, count: 400, request: paddedRequest) == 400)
    }
}
