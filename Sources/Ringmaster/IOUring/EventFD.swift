// The eventfd a worker's ring keeps a read armed on, so another thread can wake the loop.
import CURing
import Glibc

/// eventfd(2) descriptors for ring wake-ups.
public enum EventFD {
    /// A new close-on-exec eventfd, or the errno why not.
    public static func make() -> Result<Int32, SetupError> {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        return fd < 0 ? .failure(.call("eventfd", errno: errno)) : .success(fd)
    }
}
