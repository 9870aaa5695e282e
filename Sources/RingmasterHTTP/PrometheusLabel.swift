// One label of a Prometheus sample, borrowed from the caller.

/// A label name and value for `PrometheusWriter`. The value is borrowed: it must stay
/// valid until the writer call that takes the label returns. It is escaped on output.
public struct PrometheusLabel {
    /// The label name, `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
    public var name: StaticString
    /// The label value: any bytes, expected to be UTF-8.
    public var value: UnsafeRawBufferPointer

    /// A label whose value is caller memory, such as a route name from the config.
    public init(_ name: StaticString, _ value: UnsafeRawBufferPointer) {
        self.name = name
        self.value = value
    }

    /// A label whose value is a literal, such as a status class.
    public init(_ name: StaticString, _ value: StaticString) {
        self.name = name
        self.value = UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount)
    }
}
