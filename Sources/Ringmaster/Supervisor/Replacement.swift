// `--replace PID`, the zero-downtime restart in one command: the new process binds in takeover
// mode (sharing the port with the old one through SO_REUSEPORT), starts every worker, reports
// READY, and only then sends SIGTERM to the old process, which drains: it stops accepting
// (its listeners leave the group, so new connections reach only the new process), answers the
// requests it has with `Connection: close` and exits. No connection is refused at any moment,
// because a listener of one of the two processes is always in the group.
import Glibc
import Logging

/// Checks and stops the process a `--replace` takes over from.
enum Replacement {
    /// nil when `pid` is a running ringmaster of ours; otherwise why it cannot be replaced.
    /// Checked before binding so a wrong PID never gets a signal.
    static func check(pid: Int32) -> String? {
        guard pid > 1, pid != getpid() else { return "not a process to replace" }
        guard kill(pid, 0) == 0 else { return "no such process we may signal (\(Errno.describe(errno)))" }
        guard let command = processName(pid), command.hasPrefix("ringmaster") else {
            return "process \(pid) is not a ringmaster (its name is \(processName(pid) ?? "unknown"))"
        }
        return nil
    }

    /// The kernel's name for `pid` (/proc/PID/comm, at most 15 characters).
    static func processName(_ pid: Int32) -> String? {
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.hasSuffix("\n") ? String(name.dropLast()) : name
    }

    /// Sends SIGTERM to `pid` (the old process drains) and logs it.
    static func stop(pid: Int32, logger: Logger) {
        if kill(pid, SIGTERM) == 0 {
            logger.notice("takeover: ready; sent SIGTERM to pid \(pid) to drain", metadata: ["pid": "\(pid)"])
        } else {
            logger.error("takeover: cannot signal pid \(pid): \(Errno.describe(errno))", metadata: ["pid": "\(pid)"])
        }
    }
}
