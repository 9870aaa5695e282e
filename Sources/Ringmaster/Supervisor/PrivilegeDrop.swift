// Switching to the configured user and group once the listeners are bound: binding a port
// below 1024 may need root, serving does not. glibc applies setgroups/setgid/setuid to every
// thread of the process (it signals each one), so the worker threads, already blocked in
// io_uring_enter (which retries EINTR), change credentials too; their rings keep working.
import Glibc
import Logging

/// Dropping root after binding.
public enum PrivilegeDrop {
    /// A privilege drop that failed or did not stick.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Switches to `account`: supplementary groups to just its group, then the gid, then the
    /// uid (in this order: after setuid the others are no longer permitted), then checks that
    /// root cannot be regained.
    public static func apply(_ account: Account) throws(Failure) {
        var gid = account.gid
        // Root's supplementary groups (at least 0) must go even when the gid already matches.
        if geteuid() == 0 {
            guard setgroups(1, &gid) == 0 else { throw failure("setgroups([\(gid)])") }
        }
        if getegid() != gid || getgid() != gid {
            guard setgid(gid) == 0 else { throw failure("setgid(\(gid))") }
        }
        if account.userName != nil && (geteuid() != account.uid || getuid() != account.uid) {
            guard setuid(account.uid) == 0 else { throw failure("setuid(\(account.uid))") }
        }
        guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid else {
            throw Failure(description: "privilege drop did not stick: uid \(getuid())/\(geteuid()), gid \(getgid())/\(getegid())")
        }
        if account.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0) {
            throw Failure(description: "privilege drop is reversible: setuid(0) succeeded after switching to uid \(account.uid)")
        }
    }

    /// Drops to `account` (when configured) and logs the result, or warns once when running as
    /// root with no account configured. Returns false when a configured drop failed.
    public static func run(account: Account?, logger: Logger) -> Bool {
        guard let account else {
            if geteuid() == 0 {
                logger.warning("running as root with no user configured: set user (and group) to drop privileges after binding")
            }
            return true
        }
        do {
            try apply(account)
        } catch {
            logger.critical("cannot switch to user \(account.userName ?? "(unchanged)") group \(account.groupName): \(error)")
            return false
        }
        logger.notice("privileges dropped: now uid \(getuid()) (\(account.userName ?? "unchanged")), gid \(getgid()) (\(account.groupName)), no supplementary groups",
                      metadata: ["uid": "\(getuid())", "gid": "\(getgid())"])
        return true
    }

    private static func failure(_ call: String) -> Failure {
        let code = errno
        return Failure(description: "\(call) failed: \(String(cString: strerror(code)))")
    }
}
