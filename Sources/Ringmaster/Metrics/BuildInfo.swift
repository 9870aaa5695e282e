// What was built: the version the executable reports with --version and /metrics reports
// as ringmaster_build_info, kept in one place so the two cannot disagree.

/// The build's identity.
public enum BuildInfo {
    /// Ringmaster's version.
    public static let version: StaticString = "0.1.0"

    /// The Swift compiler's version (major.minor), decided at compile time.
    public static var swiftVersion: StaticString {
        #if compiler(>=6.4)
        return "6.4+"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1"
        #endif
    }
}
