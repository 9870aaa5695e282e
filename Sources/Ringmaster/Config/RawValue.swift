// A value as one layer holds it, before validation: text for the environment and flags
// (where everything is a string), a typed JSON value for the file (where `"8080"` is not a
// number and `1` is not `true`).

/// One unvalidated value from a configuration source.
enum RawValue {
    /// From the environment or a flag: parsed by the key's type.
    case text(String)
    /// From the file: must already have the key's JSON type.
    case json(JSONValue)

    /// The integer, when this is one (text: decimal digits with an optional sign).
    var integer: Int? {
        switch self {
        case .text(let s): return Int(s)
        case .json(.integer(let i)): return i
        case .json: return nil
        }
    }

    /// The boolean, when this is one. Text accepts true/false, yes/no, on/off, 1/0 (as systemd
    /// and swift-configuration's environment provider do).
    var bool: Bool? {
        switch self {
        case .text(let s):
            switch s.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: return nil
            }
        case .json(.bool(let b)): return b
        case .json: return nil
        }
    }

    /// The string, when this is one.
    var string: String? {
        switch self {
        case .text(let s): return s
        case .json(.string(let s)): return s
        case .json: return nil
        }
    }

    /// The value as written, for messages.
    var display: String {
        switch self {
        case .text(let s): return "\"\(s)\""
        case .json(let value): return value.description
        }
    }
}
