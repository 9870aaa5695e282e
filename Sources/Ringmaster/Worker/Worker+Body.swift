// A request body, one decoded step at a time (processInput's body branch): its bytes go where
// the connection's state says (collected for a handler or a short proxied body, dropped,
// streamed to an upstream by Worker+ProxyUpload.swift, or to a streaming route's handler by
// Worker+BodyChannel.swift), and its end answers the request or ends the stream.
import RingmasterHTTP

/// What one step of a request body did.
enum BodyProgress {
    /// `consumed` bytes taken (more than none); more of the body is to come.
    case more(Int)
    /// Nothing could be taken: the input waits for more bytes, or (receiving stopped) for a
    /// streamed body's window to have room.
    case stalled
    /// The body ended after `consumed` bytes; the next request may follow.
    case ended(Int)
    /// The body was bad: the connection was answered with the error and closes.
    case failed
}

extension Worker {
    /// Decodes the body at the start of `rest` (one step: one span of data).
    @inline(__always)
    mutating func consumeBody(slot: UInt32, _ rest: UnsafeRawBufferPointer) -> BodyProgress {
        let connection = table[slot]
        let sink = connection.pointee.handlerState & (HandlerState.uploading | HandlerState.streamingBody)
        let uploading = sink == HandlerState.uploading, streaming = sink == HandlerState.streamingBody
        var window = rest
        if sink != 0 {
            // A streamed body takes what its window has room for; the rest waits (receiving
            // stops) until the upstream or the handler has taken more.
            let room = uploading ? uploadRoom(slot: slot) : channelRoom(slot: slot)
            guard room > 0 else {
                perform(connection.pointee.machine.outputFull(), slot: slot)
                return .stalled
            }
            if window.count > room { window = UnsafeRawBufferPointer(rebasing: rest[..<room]) }
        }
        let step = connection.pointee.body.decode(window, limits: policy.limits)
        if step.dataLength > 0 {
            let data = UnsafeRawBufferPointer(rebasing: window[step.dataStart..<step.dataStart + step.dataLength])
            if uploading {
                appendUpload(slot: slot, data)
            } else if streaming {
                pushToChannel(slot: slot, data)
            } else {
                collectBody(slot: slot, data)
            }
        }
        switch step.state {
        case .more:
            return step.consumed == 0 ? .stalled : .more(step.consumed)
        case .done:
            if uploading {
                uploadEnded(slot: slot)
            } else if streaming {
                channelEnded(slot: slot)
            } else {
                answerPending(slot: slot)
            }
            return .ended(step.consumed)
        case .error(let status):
            // respondError stops a streamed body's upstream or handler first.
            respondError(slot: slot, status: status)
            return .failed
        }
    }
}
