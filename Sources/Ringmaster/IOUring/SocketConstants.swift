// Socket constants for files outside IOUring/ that do not import the C headers defining
// them: Glibc alone does not export these in a release (whole-module) build, and a debug
// build only saw them because CURing leaked them in.
import CURing
import Glibc

/// shutdown(2)'s `how` values.
public enum SocketShutdown {
    /// SHUT_RDWR: both directions (a listener: no more accepts, new SYNs reset).
    public static let both = Int32(SHUT_RDWR)
}

/// setsockopt(2) levels.
public enum SocketLevel {
    /// IPPROTO_TCP: options of tcp(7) such as TCP_NODELAY.
    public static let tcp = Int32(IPPROTO_TCP)
}

/// send(2) flags.
public enum SocketSendFlags {
    /// MSG_NOSIGNAL: a peer that closed is EPIPE, not SIGPIPE.
    public static let noSignal = Int32(MSG_NOSIGNAL)
}
