// The life of one connection as a pure state machine (DESIGN.md, "Connections"; docs/connections.md
// has the diagram). Completion handlers translate a CQE into an event, call the machine, and
// carry out the actions it returns; the machine's flags change here and nowhere else, so every
// combination can be driven and checked without sockets (ConnectionMachineTests).
//
// The machine knows the lifecycle (receiving, sending, closing, lingering, waiting for output
// room, parked for buffers); the worker knows the bytes (output chunk, carry, held receive
// buffers, streams, owed answers) and tells the machine what it needs of them as `ConnectionFacts`.

/// What the worker's buffers say about a connection when an event happens.
struct ConnectionFacts: Equatable {
    /// Bytes still to go out: unsent output, a held response, or a body stream.
    var outputPending = false
    /// A response is owed but not yet written: after a request body, or a deferred handler.
    var answerOwed = false
    /// A request body is being read.
    var bodyIncomplete = false
    /// The carry chunk holds the start of an unfinished request head.
    var partialHead = false
    /// A TLS handshake has not finished (nothing can be parsed yet).
    var handshaking = false

    /// Nothing in flight and nothing owed: a drain may close it, a FIN closes it at once.
    var isQuiet: Bool { !outputPending && !answerOwed && !bodyIncomplete && !partialHead }
}

/// Where received bytes go.
enum InputDisposition: Equatable {
    /// Parse them now.
    case parse
    /// Keep them (in their receive buffer) until the output has room again: backpressure.
    case hold
    /// The connection is closing: read and drop them.
    case discard
}

/// What the worker must do after an event, in the order listed. A fixed-size value.
struct ConnectionActions: OptionSet, Equatable {
    let rawValue: UInt16
    /// Arm a multishot recv.
    static let armReceive = ConnectionActions(rawValue: 1 << 0)
    /// Cancel the multishot recv (its last CQE, ECANCELED, says when it ended).
    static let stopReceiving = ConnectionActions(rawValue: 1 << 1)
    /// Put the connection on the starved list until buffers come back.
    static let park = ConnectionActions(rawValue: 1 << 2)
    /// Start a send of what is pending (or the stream's next step), unless one is in flight.
    static let send = ConnectionActions(rawValue: 1 << 3)
    /// Parse the input that waited for output room (carry, then held buffers).
    static let resumeInput = ConnectionActions(rawValue: 1 << 4)
    /// Answer the unfinished request with 408, then close.
    static let answerTimeout = ConnectionActions(rawValue: 1 << 5)
    /// shutdown(SHUT_WR) and keep reading to discard: the lingering close.
    static let shutdownWrite = ConnectionActions(rawValue: 1 << 6)
    /// Close now (cancel what is in flight, close the descriptor, free the slot).
    static let close = ConnectionActions(rawValue: 1 << 7)
}

/// One connection's lifecycle state: 4 bytes inside its `ConnectionRecord`.
@frozen
public struct ConnectionMachine: Equatable {
    /// `Flag` bits; set only by this type's transitions.
    public private(set) var flags: UInt16
    /// The timeout the connection is under, chosen after every event.
    public private(set) var timer: TimerKind
    var reserved: UInt8 = 0

    /// Bits of `flags`.
    public enum Flag {
        /// The slot holds an accepted connection.
        public static let open: UInt16 = 1 << 0
        /// A multishot recv is armed (until its CQE without F_MORE).
        public static let receiving: UInt16 = 1 << 1
        /// A cancel of that recv was submitted (backpressure).
        public static let stopping: UInt16 = 1 << 2
        /// A send (or a body stream's read or send) is in flight.
        public static let sending: UInt16 = 1 << 3
        /// Close once the queued output is sent (Connection: close, an error, a drain).
        public static let closeAfterSend: UInt16 = 1 << 4
        /// Parked without a recv because the buffer ring ran dry (ENOBUFS).
        public static let starved: UInt16 = 1 << 5
        /// The peer shut down its side (FIN).
        public static let peerClosed: UInt16 = 1 << 6
        /// Input waits (carry, held buffers) for output room; receiving stops meanwhile.
        public static let inputWaiting: UInt16 = 1 << 7
        /// After the last response, read and discard before closing (lingering close).
        public static let lingerWanted: UInt16 = 1 << 8
        /// The write side is shut and the connection only discards input until FIN or timeout.
        public static let lingering: UInt16 = 1 << 9
        /// The server is draining: close once quiet.
        public static let draining: UInt16 = 1 << 10
        /// Lingering close is configured (timeouts.linger_s > 0) for this connection.
        public static let mayLinger: UInt16 = 1 << 11
    }

    /// A closed slot.
    public init() {
        flags = 0
        timer = .none
    }

    @inline(__always) func has(_ flag: UInt16) -> Bool { flags & flag != 0 }
    @inline(__always) var isOpen: Bool { has(Flag.open) }
    /// Whether a send may start now.
    @inline(__always) var maySend: Bool { flags & (Flag.open | Flag.sending | Flag.lingering) == Flag.open }
    /// Whether new requests may still be parsed.
    @inline(__always) var acceptsRequests: Bool { flags & (Flag.open | Flag.closeAfterSend) == Flag.open }
    @inline(__always) var isClosing: Bool { has(Flag.closeAfterSend) }
    @inline(__always) var isInputWaiting: Bool { has(Flag.inputWaiting) }
    @inline(__always) var isSending: Bool { has(Flag.sending) }
    /// Whether the kernel may still hold an operation on the socket (an armed or cancelling
    /// recv, a send): the close must cancel it first. A multishot recv that ended (no F_MORE)
    /// and a parked connection have none.
    @inline(__always) var hasOperationInFlight: Bool { flags & (Flag.receiving | Flag.stopping | Flag.sending) != 0 }

    /// A recv should be armed: open, none armed, not parked, not waiting for output room,
    /// and either still serving or lingering.
    var wantsReceive: Bool {
        guard flags & (Flag.open | Flag.receiving | Flag.starved | Flag.inputWaiting | Flag.peerClosed) == Flag.open else { return false }
        return !has(Flag.closeAfterSend) || has(Flag.lingering)
    }

    // MARK: Events

    /// A connection was accepted into this slot; `mayLinger` when lingering close is on.
    mutating func accepted(mayLinger: Bool = true) -> ConnectionActions {
        flags = Flag.open | Flag.receiving | (mayLinger ? Flag.mayLinger : 0)
        timer = .idle
        return .armReceive
    }

    /// Bytes arrived: where they go.
    mutating func received() -> InputDisposition {
        if has(Flag.closeAfterSend) {
            // The client is still sending after the answer that ends the connection.
            flags |= Flag.lingerWanted
            return .discard
        }
        return has(Flag.inputWaiting) ? .hold : .parse
    }

    /// Parsing stopped because the output has no room for another response (or an answer
    /// is owed first): keep the rest, stop receiving so TCP flow control pushes back.
    mutating func outputFull() -> ConnectionActions {
        guard isOpen, !has(Flag.closeAfterSend) else { return [] }
        flags |= Flag.inputWaiting
        if has(Flag.receiving) && !has(Flag.stopping) {
            flags |= Flag.stopping
            return .stopReceiving
        }
        return []
    }

    /// An answer was queued; `closes` when it is the connection's last, `isError` when it
    /// answers a request whose rest may still be arriving (lingering close wanted). The
    /// worker sends once per batch of pipelined answers, so this asks for no action.
    mutating func answerQueued(closes: Bool, isError: Bool = false) {
        guard isOpen else { return }
        if closes { flags |= Flag.closeAfterSend }
        if isError { flags |= Flag.lingerWanted }
    }

    /// The worker submitted a send or a stream step.
    mutating func sendStarted() { flags |= Flag.sending }

    /// A send or stream step completed (`ok` false: the peer is gone). `facts` after the
    /// worker accounted for the bytes.
    mutating func sendCompleted(ok: Bool, _ facts: ConnectionFacts) -> ConnectionActions {
        flags &= ~Flag.sending
        guard ok else { return .close }
        if facts.outputPending { return .send }
        return outputDrained(facts)
    }

    /// Everything queued is sent: close (or linger) when the connection asked for it, serve
    /// input that waited for room, or leave it idle.
    private mutating func outputDrained(_ facts: ConnectionFacts) -> ConnectionActions {
        if has(Flag.closeAfterSend) {
            if facts.answerOwed { return [] }
            if has(Flag.peerClosed) || flags & (Flag.lingerWanted | Flag.mayLinger) != Flag.lingerWanted | Flag.mayLinger { return .close }
            if has(Flag.lingering) { return [] }
            flags |= Flag.lingering
            flags &= ~Flag.inputWaiting
            var actions: ConnectionActions = .shutdownWrite
            if wantsReceive {
                flags |= Flag.receiving
                actions.insert(.armReceive)
            }
            return actions
        }
        if has(Flag.inputWaiting) && !facts.answerOwed {
            flags &= ~Flag.inputWaiting
            return .resumeInput
        }
        if has(Flag.draining) && facts.isQuiet { return .close }
        return []
    }

    /// The worker parsed what waited; `stillWaiting` when output filled again on the way.
    mutating func inputResumed(stillWaiting: Bool, _ facts: ConnectionFacts) -> ConnectionActions {
        guard isOpen else { return [] }
        if stillWaiting { return outputFull().union(.send) }
        if has(Flag.peerClosed) {
            // Everything received before the FIN is answered: those answers are the last.
            return finishAfterPeerClosed(facts)
        }
        if wantsReceive {
            flags |= Flag.receiving
            return ConnectionActions.armReceive.union(.send)  // not an array literal: that allocates in debug builds
        }
        return .send
    }

    /// The upstream took what a streamed upload's window held (Worker+ProxyUpload.swift):
    /// input that waited for room is parsed again. Output room is not the question here, so
    /// this is not `outputDrained`: the answer stays owed while the body streams.
    mutating func uploadRoomMade() -> ConnectionActions {
        guard isOpen, has(Flag.inputWaiting), !has(Flag.closeAfterSend) else { return [] }
        flags &= ~Flag.inputWaiting
        return .resumeInput
    }

    /// An owed answer was written (a deferred handler finished, a body stream advanced).
    mutating func answerProgressed(_ facts: ConnectionFacts) -> ConnectionActions {
        guard isOpen else { return [] }
        // A send in flight finishes first; its completion decides what follows.
        if facts.outputPending || has(Flag.sending) { return .send }
        return outputDrained(facts)
    }

    /// The multishot recv's CQE without F_MORE: it is no longer armed (ended, cancelled, or
    /// out of buffers, which `noBuffers` handles).
    mutating func receiveEnded() -> ConnectionActions {
        flags &= ~(Flag.receiving | Flag.stopping)
        guard wantsReceive else { return [] }
        flags |= Flag.receiving
        return .armReceive
    }

    /// ENOBUFS ended the recv: park until buffers come back (audit item 7: never spin).
    mutating func noBuffers() -> ConnectionActions {
        flags &= ~(Flag.receiving | Flag.stopping)
        guard isOpen, !has(Flag.starved) else { return [] }
        flags |= Flag.starved
        return .park
    }

    /// Buffers were recycled: a parked connection may receive again.
    mutating func buffersReturned() -> ConnectionActions {
        guard has(Flag.starved) else { return [] }
        flags &= ~Flag.starved
        guard wantsReceive else { return [] }
        flags |= Flag.receiving
        return .armReceive
    }

    /// The peer sent FIN: answer what it sent before (even input still waiting for output
    /// room), then close.
    mutating func peerShutdown(_ facts: ConnectionFacts) -> ConnectionActions {
        flags &= ~(Flag.receiving | Flag.stopping)
        guard isOpen else { return [] }
        if has(Flag.lingering) { return .close }
        flags |= Flag.peerClosed
        if has(Flag.inputWaiting) { return [] }
        return finishAfterPeerClosed(facts)
    }

    /// After FIN with nothing left to parse: send what is queued or still owed (a deferred
    /// answer), then close; a body that can no longer complete owes nothing.
    private mutating func finishAfterPeerClosed(_ facts: ConnectionFacts) -> ConnectionActions {
        if facts.outputPending || has(Flag.sending) || (facts.answerOwed && !facts.bodyIncomplete) {
            flags |= Flag.closeAfterSend
            return .send
        }
        return .close
    }

    /// The peer is gone (a failed recv or send) or a limit was hit: close now.
    mutating func failed() -> ConnectionActions { isOpen ? .close : [] }

    /// The connection's deadline passed.
    mutating func timerFired(_ facts: ConnectionFacts) -> ConnectionActions {
        guard isOpen else { return [] }
        switch timer {
        case .header, .body:
            // A partial request gets its 408 unless a send is in flight (nothing can go
            // in front of it); the 408 itself then runs under the write timeout.
            if has(Flag.sending) { return .close }
            timer = .write
            return ConnectionActions.answerTimeout.union(.send)
        case .write, .idle, .linger, .handshake, .none:
            return .close
        }
    }

    /// The server began draining: an idle connection closes now; one in the middle of a
    /// request finishes it and closes after the response.
    mutating func drainBegan(_ facts: ConnectionFacts) -> ConnectionActions {
        guard isOpen else { return [] }
        flags |= Flag.draining
        if facts.isQuiet && !has(Flag.sending) && !has(Flag.inputWaiting) { return .close }
        return []
    }

    /// Drops every flag: the worker closed the slot.
    mutating func closed() {
        flags = 0
        timer = .none
    }

    // MARK: Timers

    /// The timer the connection's state calls for, or nil when the current deadline stands
    /// (a header deadline runs from the head's first byte and is not extended by later bytes).
    mutating func chooseTimer(_ facts: ConnectionFacts) -> TimerKind? {
        guard isOpen else { return nil }
        let kind: TimerKind
        if has(Flag.lingering) {
            if timer == .linger { return nil }
            kind = .linger
        } else if facts.handshaking {
            // From accept to the end of the handshake, however many flights it takes.
            if timer == .handshake { return nil }
            kind = .handshake
        } else if has(Flag.sending) || facts.outputPending {
            kind = .write
        } else if facts.answerOwed && !facts.bodyIncomplete {
            // The server owes a deferred response: the idle timeout bounds how long.
            kind = .idle
        } else if facts.bodyIncomplete && facts.answerOwed && has(Flag.inputWaiting) {
            // A streamed upload waits for its upstream to take the body: the client is not
            // the slow one, so the body timeout does not run; the upstream's send timeout
            // does, and the idle timeout bounds the rest.
            kind = .idle
        } else if facts.bodyIncomplete {
            kind = .body
        } else if facts.partialHead {
            if timer == .header { return nil }
            kind = .header
        } else {
            kind = .idle
        }
        timer = kind
        return kind
    }
}
