// The configuration file, read strictly: valid JSON by RFC 8259 and no more (no trailing comma,
// no exponent, no repeated key; StrictJSONParser), a top-level object, only known keys (a typo is
// an error, never silently ignored), groups are objects. The result is flat, one value per
// dotted key, which is what the file layer of the loader serves, with the line and column of
// every key for messages. Problems after a syntax error cannot be found, but every other one is
// collected, so one run lists them all.
import Glibc

/// A parsed configuration file.
struct ConfigurationFile {
    let path: String
    /// Every known key the file sets, by dotted name ("listen.port", "routes").
    let values: [String: JSONValue]
    let bytes: [UInt8]
    /// Where each key is written ("listen.port", "routes[0].path").
    let positions: [String: StrictJSONParser.Position]
    /// Repeated keys, exponents, unknown keys and groups that are not objects, in file order.
    let problems: [ConfigurationError]

    /// Reads and checks the file at `path`.
    static func read(path: String) throws(ConfigurationError) -> ConfigurationFile {
        guard let bytes = readFile(path) else {
            throw ConfigurationError(key: "", "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(bytes, path: path)
    }

    /// Parses and checks `bytes`; `path` names them in errors. Throws only when the file is
    /// not JSON or not an object; other problems are in `problems`.
    static func parse(_ bytes: [UInt8], path: String) throws(ConfigurationError) -> ConfigurationFile {
        let parsed: StrictJSONParser.Result
        do { parsed = try StrictJSONParser.parse(bytes) } catch {
            throw ConfigurationError(key: error.key, "\(path):\(error.position.line):\(error.position.column): not valid JSON: \(error.message)")
        }
        guard case .object(let root) = parsed.value else {
            throw ConfigurationError(key: "", "\(path):1:1: the top level must be a JSON object")
        }
        func at(_ key: String) -> String {
            parsed.positions[key].map { "\(path):\($0.line):\($0.column)" } ?? path
        }
        var found: [(StrictJSONParser.Position, ConfigurationError)] = parsed.problems.map {
            ($0.position, ConfigurationError(key: $0.key, "\(path):\($0.position.line):\($0.position.column): \($0.message)"))
        }
        func report(_ key: String, _ error: ConfigurationError) {
            found.append((parsed.positions[key] ?? .init(line: 0, column: 0), error))
        }
        let names = ConfigurationKey.all.map(\.name)
        let topLevel = orderedUnique(names.map { String($0.split(separator: ".")[0]) })
        var values: [String: JSONValue] = [:]
        for key in root.keys.sorted() {
            let value = root[key]!
            if names.contains(key) {
                values[key] = value
                continue
            }
            guard topLevel.contains(key) else {
                report(key, unknown(key, allowed: topLevel, path: at(key)))
                continue
            }
            guard case .object(let group) = value else {
                report(key, ConfigurationError(key: key, "\(at(key)) (\(key)): invalid value \(value.description) for \(key): allowed: an object"))
                continue
            }
            let members = names.filter { $0.hasPrefix(key + ".") }
            for member in group.keys.sorted() {
                let full = key + "." + member
                guard members.contains(full) else {
                    report(full, unknown(full, allowed: members, path: at(full)))
                    continue
                }
                values[full] = group[member]!
            }
        }
        found.sort { ($0.0.line, $0.0.column) < ($1.0.line, $1.0.column) }
        return ConfigurationFile(path: path, values: values, bytes: bytes, positions: parsed.positions, problems: found.map(\.1))
    }

    /// Where `key` is written, when the file sets it.
    func position(of key: String) -> StrictJSONParser.Position? { positions[key] }

    /// The 1-based line where `key` is written; nil when the file does not set it.
    func line(of key: String) -> Int? { positions[key]?.line }

    /// "unknown key wokers (did you mean workers?): allowed keys here: …".
    static func unknown(_ key: String, allowed: [String], path: String) -> ConfigurationError {
        ConfigurationError(key: key, "\(path): unknown key \(key)\(suggestion(for: key, among: allowed)): allowed keys here: \(allowed.joined(separator: ", "))")
    }

    /// " (did you mean X?)" when one allowed name is within two edits of `key`.
    static func suggestion(for key: String, among names: [String]) -> String {
        let best = names.map { ($0, editDistance(Array(key.utf8), Array($0.utf8))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return "" }
        return " (did you mean \(best.0)?)"
    }

    /// Levenshtein distance, for typo suggestions (short names only).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func orderedUnique(_ names: [String]) -> [String] {
        var seen: [String] = []
        for name in names where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// The whole file, or nil (errno set) when it cannot be read.
    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[0..<n]
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
