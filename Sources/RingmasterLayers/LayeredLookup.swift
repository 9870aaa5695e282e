// The precedence of configuration layers, done by swift-configuration: a `ConfigReader` over
// three providers (flags > environment > file) answers which layer holds each key, and an
// access reporter records which one did and under which name (the environment variable).
// This target exists only to keep swift-configuration's `SystemPackage` (whose CSystem module
// includes <linux/io_uring.h>) out of the `Ringmaster` module, which imports liburing's own
// copy of that header through CURing: clang refuses the two definitions of `io_uring_sqe` in
// one module. The API below therefore uses no swift-configuration type.
internal import Configuration
import Synchronization

/// The layer that answered a key.
public struct LayerAnswer: Sendable, Equatable {
    /// Configuration layers, in precedence order.
    public enum Layer: Int, Sendable { case flags = 0, environment = 1, file = 2 }

    public var layer: Layer
    /// The name the layer knows the key by: the dotted key for flags and file, the variable
    /// name (e.g. `RINGMASTER_LISTEN_PORT`) for the environment.
    public var name: String
    /// The text for flags and environment (the file's typed value is read by the caller).
    public var text: String?
}

/// Looks keys up through the three layers.
public struct LayeredLookup {
    private let reader: ConfigReader
    private let recorder = Recorder()

    /// `flags` and `fileKeys` by dotted key; `environment` by variable name, read for
    /// `prefix` + the key (swift-configuration's encoding: upper case, `_` for `.`).
    public init(flags: [String: String], environment: [String: String], prefix: String, fileKeys: Set<String>) {
        func key(_ dotted: String) -> AbsoluteConfigKey { AbsoluteConfigKey(dotted.split(separator: ".").map(String.init)) }
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, value) in flags { flagValues[key(name)] = ConfigValue(.string(value), isSecret: false) }
        var fileValues: [AbsoluteConfigKey: ConfigValue] = [:]
        // Presence only: the caller validates the file's own JSON value, keeping its exact type.
        for name in fileKeys { fileValues[key(name)] = ConfigValue(.string(""), isSecret: false) }
        reader = ConfigReader(
            providers: [
                InMemoryProvider(name: "flags", values: flagValues),
                EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ConfigKey(prefix)),
                InMemoryProvider(name: "file", values: fileValues),
            ],
            accessReporter: recorder
        )
    }

    /// The highest-precedence layer holding `key`, or nil when none does (the default applies).
    public func answer(for key: String) -> LayerAnswer? {
        _ = reader.string(forKey: ConfigKey(key))
        guard let event = recorder.take() else { return nil }
        for (index, result) in event.providerResults.enumerated() {
            guard case .success(let lookup) = result.result, case .string(let text)? = lookup.value?.content,
                  let layer = LayerAnswer.Layer(rawValue: index) else { continue }
            return LayerAnswer(layer: layer, name: layer == .environment ? lookup.encodedKey : key, text: layer == .file ? nil : text)
        }
        return nil
    }
}

/// Keeps the reader's last access event.
private final class Recorder: AccessReporter {
    private let last = Mutex<AccessEvent?>(nil)

    func report(_ event: AccessEvent) { last.withLock { $0 = event } }

    func take() -> AccessEvent? {
        last.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
