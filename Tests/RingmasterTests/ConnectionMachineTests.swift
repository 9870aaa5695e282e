// The connection state machine without sockets or sleeps: every state reachable from an
// accepted connection is explored breadth-first under every event and every combination of
// buffer facts, with the worker's reactions to the actions modelled as the worker carries
// them out; each transition is checked against the lifecycle's invariants, and the pairs of
// flags that can be set together are asserted to have been reached.
import Testing
@testable import Ringmaster

@Suite struct ConnectionMachineTests {
    typealias Flag = ConnectionMachine.Flag

    static let names: [(UInt16, String)] = [
        (Flag.open, "open"), (Flag.receiving, "receiving"), (Flag.stopping, "stopping"), (Flag.sending, "sending"),
        (Flag.closeAfterSend, "closeAfterSend"), (Flag.starved, "starved"), (Flag.peerClosed, "peerClosed"),
        (Flag.inputWaiting, "inputWaiting"), (Flag.lingerWanted, "lingerWanted"), (Flag.lingering, "lingering"),
        (Flag.draining, "draining"), (Flag.mayLinger, "mayLinger"),
    ]

    static let allFacts: [ConnectionFacts] = (0..<16).map {
        ConnectionFacts(outputPending: $0 & 1 != 0, answerOwed: $0 & 2 != 0, bodyIncomplete: $0 & 4 != 0, partialHead: $0 & 8 != 0)
    }

    struct Key: Hashable {
        let flags: UInt16
        let timer: UInt8
        init(_ m: ConnectionMachine) { flags = m.flags; timer = m.timer.rawValue }
    }

    /// One event applied to a copy of `m`, then the worker's reactions to the actions, as
    /// Worker.perform carries them out. Returns the new state and the actions.
    static func step(_ m: ConnectionMachine, _ event: (inout ConnectionMachine) -> ConnectionActions,
                     stillWaiting: Bool, facts: ConnectionFacts) -> (ConnectionMachine, ConnectionActions) {
        var next = m
        var actions = event(&next)
        if actions.contains(.close) {
            next.closed()
            check(before: m, after: next, actions: actions)
            return (next, actions)
        }
        if actions.contains(.answerTimeout) { next.answerQueued(closes: true, isError: true) }
        if actions.contains(.resumeInput) {
            let more = next.inputResumed(stillWaiting: stillWaiting, facts)
            actions.formUnion(more)
            if more.contains(.close) {
                next.closed()
                check(before: m, after: next, actions: more)
                return (next, actions)
            }
        }
        check(before: m, after: next, actions: actions)
        if actions.contains(.send) && next.maySend && facts.outputPending { next.sendStarted() }
        return (next, actions)
    }

    /// The invariants every transition keeps.
    static func check(before: ConnectionMachine, after: ConnectionMachine, actions: ConnectionActions) {
        let f = after.flags
        if actions.contains(.armReceive) {
            #expect(f & Flag.receiving != 0, "armReceive leaves receiving set")
            #expect(f & (Flag.inputWaiting | Flag.starved) == 0, "no recv while input waits or the pool is dry")
        }
        if actions.contains(.stopReceiving) {
            #expect(before.flags & Flag.receiving != 0 && before.flags & Flag.stopping == 0, "cancel only an armed recv, once")
        }
        guard f & Flag.open != 0 else {
            #expect(f == 0, "a closed machine keeps no flags")
            return
        }
        #expect(f & Flag.stopping == 0 || f & Flag.receiving != 0, "stopping implies an armed recv: \(describe(f))")
        #expect(f & Flag.starved == 0 || f & Flag.receiving == 0, "a parked connection has no recv: \(describe(f))")
        #expect(f & Flag.lingering == 0 || f & Flag.closeAfterSend != 0, "lingering only after the last answer: \(describe(f))")
        #expect(f & Flag.lingering == 0 || f & Flag.mayLinger != 0, "lingering only when configured: \(describe(f))")
        #expect(f & Flag.peerClosed == 0 || f & (Flag.closeAfterSend | Flag.inputWaiting) != 0,
                "after a FIN: closing once the waiting input is answered: \(describe(f))")
        #expect(f & Flag.peerClosed == 0 || f & Flag.receiving == 0, "no recv after a FIN: \(describe(f))")
        #expect(!(after.maySend && f & Flag.sending != 0), "one send in flight at a time")
        #expect(!actions.contains(.send) || !actions.contains(.close), "send and close never together")
    }

    static func describe(_ flags: UInt16) -> String {
        names.filter { flags & $0.0 != 0 }.map(\.1).joined(separator: "+")
    }

    /// Every event the worker can deliver, with its parameters.
    static var events: [(String, Bool, (inout ConnectionMachine, ConnectionFacts) -> ConnectionActions)] {
        var list: [(String, Bool, (inout ConnectionMachine, ConnectionFacts) -> ConnectionActions)] = [
            ("received", false, { m, _ in
                // Parsing that fills the output stops receiving; holding or dropping does not.
                m.received() == .parse ? m.outputFull() : []
            }),
            ("receivedAll", false, { m, _ in _ = m.received(); return [] }),
            ("outputFull", false, { m, _ in m.outputFull() }),
            ("sendFailed", false, { m, f in m.isSending ? m.sendCompleted(ok: false, f) : [] }),
            ("sendDone", false, { m, f in m.isSending ? m.sendCompleted(ok: true, f) : [] }),
            ("receiveEnded", false, { m, _ in m.flags & Flag.receiving != 0 ? m.receiveEnded() : [] }),
            ("noBuffers", false, { m, _ in m.flags & Flag.receiving != 0 ? m.noBuffers() : [] }),
            ("buffersReturned", false, { m, _ in m.buffersReturned() }),
            ("fin", false, { m, f in m.flags & Flag.receiving != 0 ? m.peerShutdown(f) : [] }),
            ("failed", false, { m, _ in m.failed() }),
            ("timer", false, { m, f in m.timerFired(f) }),
            ("drain", false, { m, f in m.drainBegan(f) }),
            ("progressed", false, { m, f in m.answerProgressed(f) }),
            ("uploadRoomMade", false, { m, _ in m.uploadRoomMade() }),
            ("chooseTimer", false, { m, f in _ = m.chooseTimer(f); return [] }),
        ]
        for closes in [false, true] {
            for isError in [false, true] {
                list.append(("answer(\(closes),\(isError))", false, { m, _ in m.answerQueued(closes: closes, isError: isError); return [] }))
            }
        }
        // The same send completion when the resumed input fills the output again.
        list.append(("sendDoneRefill", true, { m, f in m.isSending ? m.sendCompleted(ok: true, f) : [] }))
        return list
    }

    @Test func everyReachableStateKeepsTheInvariants() {
        var seen = Set<Key>()
        var queue: [ConnectionMachine] = []
        for mayLinger in [false, true] {
            var start = ConnectionMachine()
            let actions = start.accepted(mayLinger: mayLinger)
            #expect(actions == .armReceive)
            if seen.insert(Key(start)).inserted { queue.append(start) }
        }
        var pairs = Set<UInt32>()
        var transitions = 0
        while let m = queue.popLast() {
            for (_, refill, event) in ConnectionMachineTests.events {
                for facts in ConnectionMachineTests.allFacts {
                    let (next, _) = ConnectionMachineTests.step(m, { event(&$0, facts) }, stillWaiting: refill, facts: facts)
                    transitions += 1
                    if seen.insert(Key(next)).inserted { queue.append(next) }
                }
            }
            for a in 0..<16 where m.flags & (1 << a) != 0 {
                for b in (a + 1)..<16 where m.flags & (1 << b) != 0 { pairs.insert(UInt32(1 << a | 1 << b)) }
            }
        }
        #expect(seen.count > 100, "explored \(seen.count) states over \(transitions) transitions")
        // The combinations the lifecycle has to handle together were all reached.
        let expected: [(UInt16, UInt16)] = [
            (Flag.sending, Flag.inputWaiting), (Flag.sending, Flag.closeAfterSend), (Flag.sending, Flag.receiving),
            (Flag.sending, Flag.stopping), (Flag.inputWaiting, Flag.stopping), (Flag.inputWaiting, Flag.starved),
            (Flag.closeAfterSend, Flag.lingerWanted), (Flag.lingering, Flag.receiving), (Flag.lingering, Flag.starved),
            (Flag.peerClosed, Flag.sending), (Flag.draining, Flag.sending), (Flag.draining, Flag.inputWaiting),
            (Flag.starved, Flag.sending), (Flag.closeAfterSend, Flag.inputWaiting), (Flag.draining, Flag.closeAfterSend),
        ]
        for (a, b) in expected {
            #expect(pairs.contains(UInt32(a | b)), "never reached \(ConnectionMachineTests.describe(a | b))")
        }
        // And the ones it must never be in.
        let impossible: [(UInt16, UInt16)] = [(Flag.starved, Flag.receiving), (Flag.lingering, Flag.sending)]
        for (a, b) in impossible {
            #expect(!pairs.contains(UInt32(a | b)), "reached \(ConnectionMachineTests.describe(a | b))")
        }
    }

    @Test func backpressureStopsAndResumesReceiving() {
        var m = ConnectionMachine()
        _ = m.accepted()
        m.sendStarted()
        #expect(m.received() == .parse)
        #expect(m.outputFull() == .stopReceiving, "the first full output cancels the recv")
        #expect(m.outputFull() == [], "and only once")
        #expect(m.received() == .hold, "bytes the kernel already filled are held")
        #expect(m.receiveEnded() == [], "the cancelled recv is not re-armed while input waits")
        #expect(m.sendCompleted(ok: true, ConnectionFacts()) == .resumeInput)
        #expect(m.inputResumed(stillWaiting: false, ConnectionFacts()) == [.armReceive, .send])
        #expect(m.flags & Flag.receiving != 0)
    }

    /// A streamed upload (Worker+ProxyUpload.swift): the window fills, input waits with the
    /// answer owed (so the output draining does not resume it), and the upstream taking the
    /// window does; meanwhile the body timeout does not run against the client.
    @Test func aStreamedUploadWaitsForItsUpstreamThenResumes() {
        var m = ConnectionMachine()
        _ = m.accepted()
        let waiting = ConnectionFacts(answerOwed: true, bodyIncomplete: true)
        #expect(m.chooseTimer(waiting) == .body, "the client is sending: the body timeout runs")
        #expect(m.outputFull() == .stopReceiving)
        #expect(m.receiveEnded() == [], "the cancelled recv stays down while input waits")
        #expect(m.chooseTimer(waiting) == .idle, "the upstream is the slow one")
        #expect(m.answerProgressed(waiting) == [], "an owed answer keeps the input waiting")
        #expect(m.uploadRoomMade() == .resumeInput)
        #expect(m.uploadRoomMade() == [], "once")
        #expect(m.inputResumed(stillWaiting: false, waiting) == ConnectionActions.armReceive.union(.send))
        var closing = ConnectionMachine()
        _ = closing.accepted()
        _ = closing.outputFull()
        closing.answerQueued(closes: true, isError: true)
        #expect(closing.uploadRoomMade() == [], "after the answer that ends the connection, nothing more is parsed")
    }

    @Test func aFINWhileInputWaitsAnswersThatInputFirst() {
        var m = ConnectionMachine()
        _ = m.accepted()
        m.sendStarted()
        _ = m.outputFull()
        #expect(m.peerShutdown(ConnectionFacts(outputPending: true)) == [], "the held requests are still to be answered")
        #expect(m.sendCompleted(ok: true, ConnectionFacts()) == .resumeInput)
        #expect(m.inputResumed(stillWaiting: false, ConnectionFacts(outputPending: true)) == .send)
        #expect(m.isClosing, "those answers are the last")
        m.sendStarted()
        #expect(m.sendCompleted(ok: true, ConnectionFacts()) == .close)
        // A FIN in the middle of a request body: that answer can never be given.
        var partial = ConnectionMachine()
        _ = partial.accepted()
        #expect(partial.peerShutdown(ConnectionFacts(answerOwed: true, bodyIncomplete: true)) == .close)
    }

    @Test func lingeringCloseAfterAnErrorEndsAtFINOrTimer() {
        var m = ConnectionMachine()
        _ = m.accepted()
        m.answerQueued(closes: true, isError: true)
        m.sendStarted()
        #expect(m.received() == .discard)
        let drained = m.sendCompleted(ok: true, ConnectionFacts())
        #expect(drained == .shutdownWrite, "the recv is still armed: shut the write side and keep reading")
        #expect(m.chooseTimer(ConnectionFacts()) == .linger)
        var fin = m
        #expect(fin.peerShutdown(ConnectionFacts()) == .close)
        #expect(m.timerFired(ConnectionFacts()) == .close)
        // Without an error answer (a plain Connection: close), the close is immediate.
        var plain = ConnectionMachine()
        _ = plain.accepted()
        plain.answerQueued(closes: true)
        plain.sendStarted()
        #expect(plain.sendCompleted(ok: true, ConnectionFacts()) == .close)
        // Lingering off (timeouts.linger_s = 0): close at once even after an error.
        var off = ConnectionMachine()
        _ = off.accepted(mayLinger: false)
        off.answerQueued(closes: true, isError: true)
        off.sendStarted()
        #expect(off.sendCompleted(ok: true, ConnectionFacts()) == .close)
    }

    @Test func timersFollowTheConnectionsState() {
        var m = ConnectionMachine()
        _ = m.accepted()
        #expect(m.chooseTimer(ConnectionFacts()) == .idle)
        #expect(m.chooseTimer(ConnectionFacts(partialHead: true)) == .header)
        #expect(m.chooseTimer(ConnectionFacts(partialHead: true)) == nil, "a header deadline is not extended by later bytes")
        #expect(m.chooseTimer(ConnectionFacts(answerOwed: true, bodyIncomplete: true)) == .body)
        #expect(m.chooseTimer(ConnectionFacts(answerOwed: true)) == .idle, "a deferred answer is bounded by the idle timeout")
        #expect(m.chooseTimer(ConnectionFacts(outputPending: true)) == .write)
        #expect(m.timerFired(ConnectionFacts()) == .close)
        var partial = ConnectionMachine()
        _ = partial.accepted()
        _ = partial.chooseTimer(ConnectionFacts(bodyIncomplete: true))
        #expect(partial.timerFired(ConnectionFacts(bodyIncomplete: true)) == [.answerTimeout, .send], "a stalled body gets its 408")
        #expect(partial.timer == .write, "and the 408 runs under the write timeout")
    }

    @Test func drainClosesQuietConnectionsAndFinishesBusyOnes() {
        var idle = ConnectionMachine()
        _ = idle.accepted()
        #expect(idle.drainBegan(ConnectionFacts()) == .close)
        var busy = ConnectionMachine()
        _ = busy.accepted()
        #expect(busy.drainBegan(ConnectionFacts(answerOwed: true, bodyIncomplete: true)) == [])
        busy.sendStarted()
        #expect(busy.sendCompleted(ok: true, ConnectionFacts()) == .close, "closed once quiet")
    }

    @Test func aClosedSlotIgnoresEveryEvent() {
        var m = ConnectionMachine()
        for facts in ConnectionMachineTests.allFacts {
            #expect(m.outputFull() == [] && m.peerShutdown(facts) == [] && m.failed() == [] && m.timerFired(facts) == [])
            #expect(m.drainBegan(facts) == [] && m.answerProgressed(facts) == [] && m.buffersReturned() == [])
        }
        #expect(m.flags == 0)
    }
}
