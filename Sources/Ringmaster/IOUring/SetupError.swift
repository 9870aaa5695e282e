// Errors of the cold path: ring setup, registration, memory. Each names what failed and,
// for a missing kernel feature, the kernel version that added it.

/// Why a worker could not start. The message names the call, the feature and the kernel
/// version where that applies, so an operator knows what to upgrade or configure.
public struct SetupError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// A system call failed with `errno`.
    static func call(_ name: String, errno: Int32) -> SetupError {
        SetupError("\(name) failed: \(Errno.describe(errno))")
    }

    /// The kernel lacks a feature Ringmaster needs.
    static func missingFeature(_ feature: String, since version: String, errno: Int32? = nil) -> SetupError {
        var text = "this kernel does not support \(feature), which Ringmaster needs (added in Linux \(version))"
        if let errno { text += " (\(Errno.describe(errno)))" }
        return SetupError(text)
    }
}

/// errno names for messages.
enum Errno {
    static func describe(_ code: Int32) -> String {
        let names: [Int32: String] = [
            1: "EPERM", 2: "ENOENT", 4: "EINTR", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
            14: "EFAULT", 16: "EBUSY", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 28: "ENOSPC",
            38: "ENOSYS", 95: "EOPNOTSUPP", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 105: "ENOBUFS",
        ]
        return "\(names[code] ?? "errno") (\(code))"
    }
}
