// The `user` and `group` keys resolved against the password and group databases. Done while
// loading, before anything is bound, so a misspelt account is a configuration error (exit 2)
// and `check-config` catches it too.
import Glibc

/// The numeric ids to switch to after binding.
public struct Account: Sendable, Equatable {
    public var uid: uid_t
    public var gid: gid_t
    /// nil when only `group` is configured (the uid is kept).
    public var userName: String?
    public var groupName: String

    /// The uid and primary gid of `name`, or nil when there is no such user.
    static func user(named name: String) -> (uid: uid_t, gid: gid_t)? {
        guard let entry = getpwnam(name) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// The gid of `name`, or nil when there is no such group.
    static func group(named name: String) -> gid_t? {
        getgrnam(name)?.pointee.gr_gid
    }

    /// The name of group `gid`, for messages.
    static func groupName(of gid: gid_t) -> String {
        getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)"
    }
}
