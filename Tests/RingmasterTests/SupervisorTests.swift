// Multi-worker sharding: pinning, both workers serving, NUMA placement of each shard, CPU
// steering, and clean failure (no thread left behind) when placement or a ring is impossible.
import Foundation
import Testing
@testable import Ringmaster

/// Reads /proc for the threads of this process.
enum ProcessThreads {
    static func count() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }

    static func allowedCPUs(of tid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }?
            .split(separator: "\t").last.map(String.init)
    }

    static func name(of tid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

let twoCPUs = ((try? CPUSet.allowed()) ?? []).count >= 2

@Suite(.serialized) struct SupervisorTests {
    func pinnedConfiguration(workers: Int) -> ServerConfiguration {
        var c = TestServer.configuration()
        c.workers = workers
        c.pinWorkers = true
        return c
    }

    @Test(.enabled(if: twoCPUs, "needs two allowed CPUs"))
    func twoWorkersArePinnedNamedAndBothServe() throws {
        let server = try TestServer(pinnedConfiguration(workers: 2))
        let allowed = try CPUSet.allowed()
        for (i, worker) in server.server.workers.enumerated() {
            #expect(ProcessThreads.allowedCPUs(of: worker.threadID) == "\(allowed[i])")
            #expect(ProcessThreads.name(of: worker.threadID) == "ringmaster-w\(i)")
        }
        var clients: [TestClient] = []
        for _ in 0..<200 {
            let c = try server.client()
            try c.send(getRoot)
            #expect(try c.readResponse().status == 200)
            clients.append(c)
        }
        let perWorker = server.server.workers.map { $0.statistics.value(.accepted) }
        #expect(perWorker.reduce(0, +) == 200)
        #expect(perWorker.allSatisfy { $0 > 0 }, "accepted per worker: \(perWorker)")
        #expect(server.server.workers.map { $0.statistics.value(.requests) }.allSatisfy { $0 > 0 })
    }

    @Test func shardMemoryIsOnTheWorkersNode() throws {
        let server = try TestServer(pinnedConfiguration(workers: 1))
        let worker = try #require(server.server.workers.first)
        let cpu = try #require(worker.configuration.cpu)
        let address = try #require(worker.shardAddress)
        let expected = NumaTopology.node(ofCPU: cpu)
        #expect(NumaTopology.node(ofAddress: address) == (expected ?? 0))
        #expect(worker.configuration.numaNode == expected)
    }

    @Test func numaOffStillServes() throws {
        var c = pinnedConfiguration(workers: 1)
        c.numa = .off
        let server = try TestServer(c)
        #expect(server.server.workers[0].configuration.numaNode == nil)
        let client = try server.client()
        try client.send(getRoot)
        #expect(try client.readResponse().status == 200)
    }

    @Test func impossibleCPUListFailsWithoutLeavingAThread() throws {
        let threadsBefore = ProcessThreads.count()
        var c = pinnedConfiguration(workers: 1)
        c.cpus = [4000]
        let server = Server(configuration: c)
        #expect { try server.start() } throws: { error in
            "\(error)".contains("CPU 4000 is not in this process's allowed set") && error is ConfigurationError
        }
        c.cpus = nil
        c.workers = 4096
        #expect { try Server(configuration: c).start() } throws: { "\($0)".contains("workers need 4096 CPUs") }
        #expect(ProcessThreads.count() <= threadsBefore)
    }

    @Test func workerThatCannotCreateItsRingStopsTheServer() throws {
        let threadsBefore = ProcessThreads.count()
        var c = pinnedConfiguration(workers: 1)
        c.ringEntries = 1 << 17   // above the kernel's 32768
        let server = Server(configuration: c)
        #expect { try server.start() } throws: { error in
            let text = "\(error)"
            return text.contains("worker 0 (CPU") && text.contains("failed to start") && text.contains("32768")
        }
        #expect(server.workers.isEmpty)
        #expect(ProcessThreads.count() <= threadsBefore)
    }

    @Test(.enabled(if: twoCPUs, "needs two allowed CPUs"))
    func cpuSteeringSendsAConnectionToTheWorkerOnItsCPU() throws {
        var c = pinnedConfiguration(workers: 2)
        c.steering = .cpu
        let server = try TestServer(c)
        let cpus = server.server.workers.map { $0.configuration.cpu! }
        for (index, cpu) in cpus.enumerated() {
            let before = server.server.workers.map { $0.statistics.value(.accepted) }
            let port = server.port
            try onPinnedThread(cpu: cpu) {
                for _ in 0..<10 {
                    let client = try TestClient(port: port)
                    try client.send(getRoot)
                    _ = try client.readResponse()
                }
            }
            let after = server.server.workers.map { $0.statistics.value(.accepted) }
            #expect(after[index] - before[index] == 10, "client on CPU \(cpu): accepted \(before) -> \(after)")
        }
    }

    @Test func steeringProgramMapsEachCPUToItsListener() {
        let program = ReuseportSteering.program(cpus: [3, 8])
        #expect(program.count == 6)
        #expect(program[1].k == 3 && program[2].k == 0)
        #expect(program[3].k == 8 && program[4].k == 1)
        #expect(program[5].k == UInt32.max)
    }

    @Test func cpuListSyntax() {
        #expect(CPUList.parse("0-3,8") == [0, 1, 2, 3, 8])
        #expect(CPUList.parse("5") == [5])
        #expect(CPUList.parse("3-1") == nil)
        #expect(CPUList.parse("a") == nil)
        #expect(CPUList.parse("") == nil)
        #expect(CPUList.describe([0, 1, 2, 3, 8, 10, 11]) == "0-3,8,10-11")
    }
}

/// Runs `body` on a new thread pinned to `cpu` and waits for it.
func onPinnedThread(cpu: Int, _ body: @escaping @Sendable () throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = LockedBox<(any Error)?>(nil)
    let thread = Thread {
        CPUSet.pinCurrentThread(to: cpu)
        do { try body() } catch { failure.set(error) }
        done.signal()
    }
    thread.start()
    done.wait()
    if let error = failure.get() { throw error }
}

/// A value shared between threads under a lock.
final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    /// Read-modify-write under the lock (get-then-set would lose concurrent updates).
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&value); lock.unlock() }
}
