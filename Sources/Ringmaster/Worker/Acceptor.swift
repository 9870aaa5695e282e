// The worker's side of its listener: the pending accepts, each with its own address buffer,
// their failure backoff, and who each connection's client is (one `ClientAddress` per slot,
// replaced by a PROXY protocol header's when the listener expects one; docs/client-address.md).
import Glibc
import RingmasterHTTP

/// The listener's pending accepts and the connections' client addresses.
///
/// A multishot accept (one SQE for every connection) cannot report addresses: it writes each
/// accepted peer to the same buffer, and with DEFER_TASKRUN a batch of accepts runs before the
/// loop reads any of them. So the worker keeps `pending` single-shot accepts armed, accept `i`
/// writing to buffer `i`, and re-arms `i` when its CQE is read. The kernel wakes one of them
/// per connection (IORING_OP_ACCEPT polls exclusively, io_uring/opdef.c `poll_exclusive`),
/// and an accept submitted while connections wait in the backlog completes at submission.
struct Acceptor: ~Copyable {
    /// Accepts armed at once: the most connections one loop turn takes from the backlog.
    static let pending = 32
    /// One accept's buffer: a sockaddr_in6 (28 bytes, sockaddr_in fits in it) and its length.
    static let bufferStride = 32
    static let lengthOffset = 28

    /// The worker's SO_REUSEPORT listener (the worker closes it).
    let listenerFD: Int32
    /// The plain-HTTP listener beside a TLS one (`tls.plain_port`), -1 when none. Its
    /// accepts are numbered after the main listener's: `pending` to `2 * pending - 1`.
    let plainListenerFD: Int32
    /// `listen.proxy_protocol`: every connection must open with a PROXY header.
    let expectsProxyHeader: Bool
    /// `tcp.quickack`: set on every accepted connection (it is not inherited, tcp(7)).
    let quickAck: Bool
    /// Consecutive accept failures, for the retry backoff.
    var failures = 0
    let slots: Int
    let memory: MemoryRegion
    let addresses: UnsafeMutablePointer<ClientAddress>
    let buffers: UnsafeMutableRawPointer

    init(listenerFD: Int32, plainListenerFD: Int32 = -1, expectsProxyHeader: Bool, quickAck: Bool, slots: Int, node: Int32?) throws(SetupError) {
        self.listenerFD = listenerFD
        self.plainListenerFD = plainListenerFD
        self.expectsProxyHeader = expectsProxyHeader
        self.quickAck = quickAck
        self.slots = slots
        // Not pre-faulted: a slot's line is touched when a connection first uses it, so an
        // idle worker pays only for the accept buffers.
        let addressBytes = slots * MemoryLayout<ClientAddress>.stride
        memory = try MemoryRegion(size: addressBytes + 2 * Acceptor.pending * Acceptor.bufferStride, populate: false, node: node)
        addresses = memory.base.bindMemory(to: ClientAddress.self, capacity: slots)
        buffers = memory.base + addressBytes
    }

    /// The pending accepts armed at start: the main listener's, and the plain one's if any.
    var armedCount: Int { plainListenerFD >= 0 ? 2 * Acceptor.pending : Acceptor.pending }

    /// Whether pending accept `index` takes connections from the plain-HTTP listener.
    func isPlain(_ index: Int) -> Bool { index >= Acceptor.pending }

    /// Every listener this worker accepts on.
    var listeners: [Int32] { plainListenerFD >= 0 ? [listenerFD, plainListenerFD] : [listenerFD] }

    /// Arms pending accept `index` (its CQE carries `index` in the slot field).
    mutating func arm(_ index: Int, ring: inout Ring) {
        let (buffer, length) = armBuffer(index)
        ring.prepareAccept(listener: isPlain(index) ? plainListenerFD : listenerFD, address: buffer, length: length,
                           userData: UserData(slot: UInt32(index), operation: .accept))
    }

    /// Arms every pending accept: at start, and never again while they keep re-arming.
    mutating func armAll(ring: inout Ring) {
        for index in 0..<armedCount { arm(index, ring: &ring) }
    }

    /// The address buffer of pending accept `index`, and its length reset to the buffer's size
    /// (accept(2) reads it as the room, then writes the address's size).
    mutating func armBuffer(_ index: Int) -> (UnsafeMutableRawPointer, UnsafeMutablePointer<socklen_t>) {
        precondition(index < armedCount)
        let buffer = buffers + index * Acceptor.bufferStride
        let length = (buffer + Acceptor.lengthOffset).assumingMemoryBound(to: socklen_t.self)
        length.pointee = socklen_t(MemoryLayout<sockaddr_in6>.size)
        return (buffer, length)
    }

    /// Records what accept `index` wrote as the client of `slot`.
    mutating func accepted(_ index: Int, slot: UInt32) {
        assert(index < armedCount && Int(slot) < slots)
        let buffer = UnsafeRawPointer(buffers + index * Acceptor.bufferStride)
        let length = Int(buffer.load(fromByteOffset: Acceptor.lengthOffset, as: socklen_t.self))
        addresses[Int(slot)] = Acceptor.decode(buffer, length: length)
    }

    /// A sockaddr_in or sockaddr_in6 (ip(7), ipv6(7)); anything else is unknown.
    static func decode(_ address: UnsafeRawPointer, length: Int) -> ClientAddress {
        let family = Int32(address.load(as: sa_family_t.self))
        if family == AF_INET && length >= MemoryLayout<sockaddr_in>.size {
            let port = UInt16(bigEndian: address.load(fromByteOffset: 2, as: UInt16.self))
            let a = address.load(fromByteOffset: 4, as: (UInt8, UInt8, UInt8, UInt8).self)
            return ClientAddress(ipv4: a, port: port)
        }
        if family == AF_INET6 && length >= MemoryLayout<sockaddr_in6>.size {
            let port = UInt16(bigEndian: address.load(fromByteOffset: 2, as: UInt16.self))
            return ClientAddress(ipv6: UnsafeRawBufferPointer(start: address + 8, count: 16), port: port)
        }
        return .unknown
    }

    /// The client of `slot`.
    subscript(slot: UInt32) -> ClientAddress {
        get {
            assert(Int(slot) < slots)
            return addresses[Int(slot)]
        }
        nonmutating set {
            assert(Int(slot) < slots)
            addresses[Int(slot)] = newValue
        }
    }
}
