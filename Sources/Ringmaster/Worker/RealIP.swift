// Who the client is behind a load balancer (listen.real_ip_from, docs/client-address.md,
// "Behind a load balancer"), as nginx's realip module with real_ip_recursive: when the
// connection's peer is in the trusted ranges, each request's client is the right-most address
// of the configured header (X-Forwarded-For) that is not itself trusted. A component with its
// own state: the connection's own peer per slot, so every request is resolved afresh from it.
// Off (no memory, one branch per request) unless ranges are configured. Allocation-free.
import RingmasterHTTP

/// Resolves each request's client address from a trusted proxy's header.
struct RealIP: ~Copyable {
    let ranges: [AddressRange]
    /// The header's name, lower-cased.
    let header: [UInt8]
    /// The connection's own peer (or its PROXY protocol source) per slot, taken at its first
    /// request; nil when the feature is off.
    let peers: UnsafeMutablePointer<ClientAddress>?

    init(ranges: [AddressRange], header: String, slots: Int) {
        self.ranges = ranges
        self.header = Array(header.lowercased().utf8)
        peers = ranges.isEmpty ? nil : .allocate(capacity: slots)
    }

    deinit { peers?.deallocate() }

    var enabled: Bool { peers != nil }

    func trusts(_ address: ClientAddress) -> Bool {
        var i = 0
        while i < ranges.count {
            if ranges[i].contains(address) { return true }
            i += 1
        }
        return false
    }

    /// The client of the request on `slot`: `current` is the slot's address now (the peer at
    /// the connection's first request, `first`; later the previous request's client).
    func client(slot: UInt32, current: ClientAddress, first: Bool, fields: UnsafeBufferPointer<HTTPHeaderField>,
                in bytes: UnsafeRawBufferPointer) -> ClientAddress {
        guard let peers else { return current }
        if first { peers[Int(slot)] = current }
        let peer = peers[Int(slot)]
        guard trusts(peer) else { return peer }
        var found = peer
        var f = fields.count - 1
        while f >= 0 {
            if nameMatches(fields[f].name(in: bytes)) {
                let value = fields[f].value(in: bytes)
                var end = value.count
                while end > 0 {
                    var start = end
                    while start > 0 && value[start - 1] != UInt8(ascii: ",") { start -= 1 }
                    // A malformed entry stops the walk: what is left of it was written by
                    // someone we cannot trust.
                    guard let address = RealIP.parse(UnsafeRawBufferPointer(rebasing: value[start..<end])) else { return found }
                    if !trusts(address) { return address }
                    found = address
                    end = start == 0 ? 0 : start - 1
                }
            }
            f -= 1
        }
        return found
    }

    func nameMatches(_ name: UnsafeRawBufferPointer) -> Bool {
        guard name.count == header.count else { return false }
        var i = 0
        while i < name.count {
            let byte = name[i]
            if (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) != header[i] { return false }
            i += 1
        }
        return true
    }

    /// One list entry: an address, optionally "[v6]:port" or "v4:port", spaces around it.
    static func parse(_ entry: UnsafeRawBufferPointer) -> ClientAddress? {
        var start = 0, end = entry.count
        while start < end && (entry[start] == 0x20 || entry[start] == 0x09) { start += 1 }
        while end > start && (entry[end - 1] == 0x20 || entry[end - 1] == 0x09) { end -= 1 }
        guard start < end else { return nil }
        if entry[start] == UInt8(ascii: "[") {
            var close = start + 1
            while close < end && entry[close] != UInt8(ascii: "]") { close += 1 }
            guard close < end else { return nil }
            return ClientAddress.parseIPv6(UnsafeRawBufferPointer(rebasing: entry[(start + 1)..<close]))
        }
        var colons = 0, lastColon = 0
        var i = start
        while i < end {
            if entry[i] == UInt8(ascii: ":") {
                colons += 1
                lastColon = i
            }
            i += 1
        }
        // One colon: "1.2.3.4:5678" (the port is dropped); more: a bare IPv6 address.
        if colons == 1 { end = lastColon }
        return ClientAddress.parse(UnsafeRawBufferPointer(rebasing: entry[start..<end]))
    }
}
