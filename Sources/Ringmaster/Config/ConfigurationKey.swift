// One configuration key: its dotted name, the values it accepts (in words, for messages),
// whether a running server can take a change (SIGHUP), and how it is read and printed. The
// table of every key is in ConfigurationKey+Table.swift; one table drives the file's
// unknown-key check, the environment variable names, validation, `check-config` and reload.

/// A configuration key and its rules.
public struct ConfigurationKey {
    /// Dotted name, e.g. "limits.header_bytes".
    public let name: String
    /// The allowed values, in words ("an integer from 0 to 65535").
    public let allowed: String
    /// True when a running server applies a change on SIGHUP without a restart.
    public let hot: Bool
    /// Stores a valid value; false when the value is not allowed.
    let apply: (RawValue, inout ServerConfiguration) -> Bool
    /// The value as `check-config` prints it (JSON-like).
    let render: (ServerConfiguration) -> String

    /// The environment variable that sets this key: `RINGMASTER_` and the name in upper case
    /// with dots as underscores (what swift-configuration's environment provider reads for the
    /// key prefixed with "ringmaster").
    public var environmentName: String {
        "RINGMASTER_" + name.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }

    /// Integer keys.
    static func integer(_ name: String, _ range: ClosedRange<Int>, hot: Bool, allowed: String? = nil,
                        set: @escaping (inout ServerConfiguration, Int) -> Void, get: @escaping (ServerConfiguration) -> Int) -> ConfigurationKey {
        ConfigurationKey(name: name, allowed: allowed ?? "an integer from \(range.lowerBound) to \(range.upperBound)", hot: hot,
                         apply: { raw, c in
                             guard let v = raw.integer, range.contains(v) else { return false }
                             set(&c, v)
                             return true
                         },
                         render: { "\(get($0))" })
    }

    /// Integer keys that must be a power of two.
    static func powerOfTwo(_ name: String, _ range: ClosedRange<Int>, hot: Bool,
                           set: @escaping (inout ServerConfiguration, Int) -> Void, get: @escaping (ServerConfiguration) -> Int) -> ConfigurationKey {
        ConfigurationKey(name: name, allowed: "a power of two from \(range.lowerBound) to \(range.upperBound)", hot: hot,
                         apply: { raw, c in
                             guard let v = raw.integer, range.contains(v), v & (v - 1) == 0 else { return false }
                             set(&c, v)
                             return true
                         },
                         render: { "\(get($0))" })
    }

    /// Boolean keys.
    static func flag(_ name: String, hot: Bool, _ path: WritableKeyPath<ServerConfiguration, Bool>) -> ConfigurationKey {
        ConfigurationKey(name: name, allowed: "true or false", hot: hot,
                         apply: { raw, c in
                             guard let v = raw.bool else { return false }
                             c[keyPath: path] = v
                             return true
                         },
                         render: { "\($0[keyPath: path])" })
    }

    /// String keys whose valid values `valid` decides.
    static func text(_ name: String, allowed: String, hot: Bool, valid: @escaping (String) -> Bool,
                     _ path: WritableKeyPath<ServerConfiguration, String>) -> ConfigurationKey {
        ConfigurationKey(name: name, allowed: allowed, hot: hot,
                         apply: { raw, c in
                             guard let v = raw.string, valid(v) else { return false }
                             c[keyPath: path] = v
                             return true
                         },
                         render: { quoted($0[keyPath: path]) })
    }

    /// Optional string keys (unset until configured; `null` in the file unsets).
    static func optionalText(_ name: String, allowed: String, hot: Bool, valid: @escaping (String) -> Bool,
                             _ path: WritableKeyPath<ServerConfiguration, String?>) -> ConfigurationKey {
        ConfigurationKey(name: name, allowed: allowed + " or null", hot: hot,
                         apply: { raw, c in
                             if case .json(.null) = raw { c[keyPath: path] = nil; return true }
                             guard let v = raw.string, valid(v) else { return false }
                             c[keyPath: path] = v
                             return true
                         },
                         render: { $0[keyPath: path].map(quoted) ?? "null" })
    }

    /// Keys with a fixed set of string values.
    static func choice<Value: RawRepresentable & CaseIterable>(_ name: String, hot: Bool, _ path: WritableKeyPath<ServerConfiguration, Value>) -> ConfigurationKey
        where Value.RawValue == String {
        ConfigurationKey(name: name, allowed: oneOf(Value.allCases.map(\.rawValue)), hot: hot,
                         apply: { raw, c in
                             guard let text = raw.string, let v = Value(rawValue: text) else { return false }
                             c[keyPath: path] = v
                             return true
                         },
                         render: { quoted($0[keyPath: path].rawValue) })
    }

    /// `"a", "b" or "c"`.
    static func oneOf(_ values: [String]) -> String {
        let quotedValues = values.map(quoted)
        return quotedValues.count < 2 ? quotedValues.joined() : quotedValues.dropLast().joined(separator: ", ") + " or " + quotedValues.last!
    }

    /// A string as JSON would write it.
    static func quoted(_ s: String) -> String { JSONValue.quoted(s) }
}
