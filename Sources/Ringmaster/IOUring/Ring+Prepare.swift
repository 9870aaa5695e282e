// SQE preparation: every operation the worker submits, as one method each. The worker decides
// what to submit (its ConnectionMachine's actions); only this file knows how an SQE for it is
// laid out, which flags it carries and which kernel added the form used.
import CURing
import Glibc

extension Ring {
    /// Multishot accept into direct descriptors the kernel picks (IORING_OP_ACCEPT with
    /// IORING_ACCEPT_MULTISHOT and IORING_FILE_INDEX_ALLOC, Linux 5.19): the CQE's result is
    /// the slot, and no fd enters the process table.
    @inline(__always)
    public mutating func prepareMultishotAccept(listener: Int32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_multishot_accept_direct(sqe, listener, nil, nil, 0)
        sqe.pointee.user_data = userData.rawValue
    }

    /// One accept into a direct descriptor the kernel picks (IORING_FILE_INDEX_ALLOC, Linux
    /// 5.19) that writes the peer's address to `address` (`length` in/out, accept(2)). A
    /// multishot accept cannot report addresses: every accept of a batch would overwrite one
    /// buffer before the loop reads it, so each pending accept gets its own (ClientAddresses).
    @inline(__always)
    public mutating func prepareAccept(listener: Int32, address: UnsafeMutableRawPointer, length: UnsafeMutablePointer<socklen_t>,
                                       userData: UserData) {
        let sqe = nextSQE()
        // liburing 2.3 stores file_index + 1; ALLOC - 1 becomes IORING_FILE_INDEX_ALLOC.
        io_uring_prep_accept_direct(sqe, listener, address.assumingMemoryBound(to: sockaddr.self), length, 0,
                                    UInt32(IORING_FILE_INDEX_ALLOC) &- 1)
        sqe.pointee.user_data = userData.rawValue
    }

    /// Cancels every request on regular descriptor `fd` (IORING_ASYNC_CANCEL_FD | ALL, Linux
    /// 5.19): the drain stops the listener's pending accepts with one SQE.
    @inline(__always)
    public mutating func prepareCancelAll(fd: Int32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_cancel_fd(sqe, fd, UInt32(IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL))
        sqe.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData.rawValue
    }

    /// connect(2) of socket `fd` to `address` (IORING_OP_CONNECT, Linux 5.5), linked to a
    /// timeout of `milliseconds` (IORING_OP_LINK_TIMEOUT, Linux 5.5): past it the connect
    /// ends with ECANCELED. The timeout posts its own CQE (ETIME or ECANCELED: never a
    /// success, so CQE_SKIP_SUCCESS would not hide it) under `timeoutData`.
    public mutating func prepareConnect(fd: Int32, address: UnsafeRawPointer, length: socklen_t, milliseconds: Int,
                                        spec: UnsafeMutableRawPointer, userData: UserData, timeoutData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_connect(sqe, fd, address.assumingMemoryBound(to: sockaddr.self), length)
        sqe.pointee.flags |= CURING_IOSQE_IO_LINK
        sqe.pointee.user_data = userData.rawValue
        prepareLinkTimeout(milliseconds: milliseconds, spec: spec, userData: timeoutData)
    }

    /// send(2) on regular descriptor `fd` (an upstream socket; IORING_OP_SEND, Linux 5.6).
    public mutating func prepareSend(fd: Int32, bytes: UnsafeRawPointer, count: Int, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_send(sqe, fd, bytes, count, Int32(MSG_NOSIGNAL))
        sqe.pointee.user_data = userData.rawValue
    }

    /// recv(2) on regular descriptor `fd` into `buffer` (IORING_OP_RECV, Linux 5.6).
    public mutating func prepareRecv(fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_recv(sqe, fd, buffer, count, 0)
        sqe.pointee.user_data = userData.rawValue
    }

    /// recv(2) on regular descriptor `fd` into `buffer` (IORING_OP_RECV, Linux 5.6), linked
    /// to a timeout of `milliseconds` like `prepareConnect`'s.
    public mutating func prepareRecv(fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, milliseconds: Int,
                                     spec: UnsafeMutableRawPointer, userData: UserData, timeoutData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_recv(sqe, fd, buffer, count, 0)
        sqe.pointee.flags |= CURING_IOSQE_IO_LINK
        sqe.pointee.user_data = userData.rawValue
        prepareLinkTimeout(milliseconds: milliseconds, spec: spec, userData: timeoutData)
    }

    /// IORING_OP_LINK_TIMEOUT for the SQE before it. The kernel copies the timespec when the
    /// SQE is submitted (io_timeout_prep), so `spec` may be reused after the next enter.
    public mutating func prepareLinkTimeout(milliseconds: Int, spec: UnsafeMutableRawPointer, userData: UserData) {
        let timespec = spec.bindMemory(to: __kernel_timespec.self, capacity: 1)
        timespec.pointee.tv_sec = Int64(milliseconds / 1000)
        timespec.pointee.tv_nsec = Int64(milliseconds % 1000) * 1_000_000
        let sqe = nextSQE()
        io_uring_prep_link_timeout(sqe, timespec, 0)
        sqe.pointee.user_data = userData.rawValue
    }

    /// Multishot recv on fixed descriptor `slot` with buffer select from `group`
    /// (IORING_RECV_MULTISHOT, IOSQE_BUFFER_SELECT, Linux 6.0).
    @inline(__always)
    public mutating func prepareMultishotRecv(slot: UInt32, group: UInt16, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_recv_multishot(sqe, Int32(slot), nil, 0, 0)
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_BUFFER_SELECT
        curing_sqe_set_buf_group(sqe, group)
        sqe.pointee.user_data = userData.rawValue
    }

    /// IORING_OP_SEND of `count` bytes at `bytes` on fixed descriptor `slot`, MSG_NOSIGNAL (a
    /// peer that reset gets EPIPE, not a SIGPIPE for the process).
    @inline(__always)
    public mutating func prepareSend(slot: UInt32, bytes: UnsafeRawPointer, count: Int, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_send(sqe, Int32(slot), bytes, count, Int32(MSG_NOSIGNAL))
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE
        sqe.pointee.user_data = userData.rawValue
    }

    /// A send that never waits for socket room (MSG_DONTWAIT: io_uring completes it with
    /// EAGAIN instead of polling, io_uring/net.c REQ_F_NOWAIT), hard-linked to the next SQE so
    /// that one (a shutdown or close) runs after it whatever it returns. For a TLS session's
    /// last records: a client that does not read must not hold the close back.
    @inline(__always)
    public mutating func prepareFarewellSend(slot: UInt32, bytes: UnsafeRawPointer, count: Int, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_send(sqe, Int32(slot), bytes, count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_IO_HARDLINK
        sqe.pointee.user_data = userData.rawValue
    }

    /// IORING_OP_READ of `count` bytes of the (regular) file `fd` at `offset` (Linux 5.6).
    /// `offset` UInt64.max means the current position (IORING_FEAT_RW_CUR_POS).
    @inline(__always)
    public mutating func prepareRead(fd: Int32, into buffer: UnsafeMutableRawPointer, count: UInt32, offset: UInt64, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_read(sqe, fd, buffer, count, offset)
        sqe.pointee.user_data = userData.rawValue
    }

    /// IORING_OP_WRITE of `bytes` to `fd` at `offset` (UInt64.max: the current position,
    /// IORING_FEAT_RW_CUR_POS, Linux 5.6).
    @inline(__always)
    public mutating func prepareWrite(fd: Int32, bytes: UnsafeRawBufferPointer, offset: UInt64, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_write(sqe, fd, bytes.baseAddress, UInt32(bytes.count), offset)
        sqe.pointee.user_data = userData.rawValue
    }

    /// An IPPROTO_TCP option set to 1 on fixed descriptor `slot` through IORING_OP_URING_CMD
    /// (SOCKET_URING_OP_SETSOCKOPT, Linux 6.7); no CQE unless it fails (IOSQE_CQE_SKIP_SUCCESS).
    @inline(__always)
    public mutating func prepareSocketOption(slot: UInt32, option: Int32, userData: UserData) {
        let sqe = nextSQE()
        curing_prep_setsockopt(sqe, Int32(slot), Int32(IPPROTO_TCP), option, SocketOptionValues.one, 4)
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData.rawValue
    }

    /// IORING_OP_TIMEOUT, relative, of `milliseconds`, its timespec written at `spec` (16 bytes
    /// that must stay valid until submission: io_timeout_prep copies it). `multishot` re-fires
    /// every period (IORING_TIMEOUT_MULTISHOT, Linux 6.4).
    @inline(__always)
    public mutating func prepareTimeout(milliseconds: Int, spec: UnsafeMutableRawPointer, multishot: Bool = false, userData: UserData) {
        let timespec = spec.bindMemory(to: __kernel_timespec.self, capacity: 1)
        timespec.pointee.tv_sec = Int64(milliseconds / 1000)
        timespec.pointee.tv_nsec = Int64(milliseconds % 1000) * 1_000_000
        let sqe = nextSQE()
        io_uring_prep_timeout(sqe, timespec, 0, multishot ? UInt32(IORING_TIMEOUT_MULTISHOT) : 0)
        sqe.pointee.user_data = userData.rawValue
    }

    /// Cancels the request submitted with `target` (IORING_OP_ASYNC_CANCEL by user_data,
    /// Linux 5.5); no CQE when it found it.
    @inline(__always)
    public mutating func prepareCancel(target: UserData, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_cancel64(sqe, target.rawValue, 0)
        sqe.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData.rawValue
    }

    /// Cancels the multishot recv on fixed descriptor `slot` (IORING_ASYNC_CANCEL_FD |
    /// FD_FIXED | OP with IORING_OP_RECV in `len`, Linux 6.6): backpressure stops receiving
    /// with it, so later bytes stay in the socket buffer. The recv's last CQE (ECANCELED, no
    /// F_MORE) says it ended; the cancel itself posts a CQE only when it found nothing.
    @inline(__always)
    public mutating func prepareCancelRecv(slot: UInt32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_cancel_fd(sqe, Int32(slot), UInt32(IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_OP))
        sqe.pointee.len = UInt32(IORING_OP_RECV.rawValue)
        sqe.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData.rawValue
    }

    /// shutdown(SHUT_WR) of fixed descriptor `slot` (IORING_OP_SHUTDOWN, Linux 5.11): the
    /// lingering close sends FIN after the last response, then reads and discards.
    @inline(__always)
    public mutating func prepareShutdownWrite(slot: UInt32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_shutdown(sqe, Int32(slot), Int32(SHUT_WR))
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData.rawValue
    }

    /// Cancels every request on fixed descriptor `slot` (IORING_ASYNC_CANCEL_FD_FIXED | ALL,
    /// Linux 6.0), hard-linked to the direct close (Linux 5.15) so the close waits for the
    /// cancel even when it found nothing. Neither posts a CQE on success.
    @inline(__always)
    public mutating func prepareCancelAndClose(slot: UInt32, cancelData: UserData, closeData: UserData) {
        prepareCancelAll(slot: slot, userData: cancelData)
        prepareCloseDirect(slot: slot, userData: closeData)
    }

    /// The cancel of `prepareCancelAndClose` alone, hard-linked to whatever SQE comes next.
    @inline(__always)
    public mutating func prepareCancelAll(slot: UInt32, userData: UserData) {
        let cancel = nextSQE()
        io_uring_prep_cancel_fd(cancel, Int32(slot), UInt32(IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL))
        cancel.pointee.flags |= CURING_IOSQE_IO_HARDLINK | CURING_IOSQE_CQE_SKIP_SUCCESS
        cancel.pointee.user_data = userData.rawValue
    }

    /// A regular descriptor for fixed descriptor `slot` (IORING_OP_FIXED_FD_INSTALL, Linux
    /// 6.8), O_CLOEXEC: the CQE's result is the descriptor (sendfile(2) needs one). On an
    /// older kernel the CQE is EINVAL.
    @inline(__always)
    public mutating func prepareFixedFDInstall(slot: UInt32, userData: UserData) {
        let sqe = nextSQE()
        curing_prep_fixed_fd_install(sqe, Int32(slot))
        sqe.pointee.user_data = userData.rawValue
    }

    /// One-shot IORING_OP_POLL_ADD for POLLOUT on fixed descriptor `slot` (Linux 5.1): the CQE
    /// (its result the ready mask, or POLLERR/POLLHUP) comes when the socket has room, at
    /// once if it has room now.
    @inline(__always)
    public mutating func preparePollWritable(slot: UInt32, userData: UserData) {
        let sqe = nextSQE()
        io_uring_prep_poll_add(sqe, Int32(slot), UInt32(POLLOUT))
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE
        sqe.pointee.user_data = userData.rawValue
    }

    /// Closes fixed descriptor `slot` (IORING_OP_CLOSE with a file index, Linux 5.15); no CQE
    /// on success. Used alone when nothing can be in flight on the slot.
    @inline(__always)
    public mutating func prepareCloseDirect(slot: UInt32, userData: UserData) {
        let close = nextSQE()
        io_uring_prep_close_direct(close, slot)
        close.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        close.pointee.user_data = userData.rawValue
    }
}

/// Option values the kernel reads at submit time; they live for the process.
enum SocketOptionValues {
    nonisolated(unsafe) static let one: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 1)
        return p
    }()
}
