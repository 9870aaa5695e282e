// Opening the access log file, on the supervisor's side: at start (as the starting user, before
// privileges are dropped) and again on every SIGHUP, so that after logrotate renames the file
// the workers write to a new one at the configured path. Each worker gets its own descriptor
// for the one open file (dup), so each closes its own when it is done with it.
import Glibc

/// The access log file's system calls.
enum AccessLogFile {
    /// Opens `path` for appending, creating it with mode 0640 (owner writes, group reads, as
    /// log readers are usually a group such as adm). O_APPEND makes every write land at the
    /// end, whatever else appends (other workers, a rotation tool); O_CLOEXEC keeps it out of
    /// any program the process might run.
    static func open(path: String) throws(SetupError) -> Int32 {
        var fd: Int32
        repeat {
            fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        } while fd < 0 && errno == EINTR
        if fd < 0 { throw .call("open(\(path)) for the access log", errno: errno) }
        return fd
    }

    /// A second descriptor for the same open file, close-on-exec (F_DUPFD_CLOEXEC).
    static func duplicate(_ fd: Int32) throws(SetupError) -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        if copy < 0 { throw .call("fcntl(F_DUPFD_CLOEXEC) of the access log", errno: errno) }
        return copy
    }
}
