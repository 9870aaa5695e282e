// The configuration file, read strictly: valid JSON, a top-level object, only known keys (a
// typo is an error, never silently ignored), groups are objects. The result is flat, one
// value per dotted key, which is what the file layer of the loader serves. JSON because it
// needs no dependency beyond FoundationEssentials' decoder and keeps 1, 1.0, "1" and true
// apart, so a wrong type is reported instead of coerced.
import Glibc

/// A parsed configuration file.
struct ConfigurationFile {
    let path: String
    /// Every key the file sets, by dotted name ("listen.port", "routes").
    let values: [String: JSONValue]
    let bytes: [UInt8]

    /// Reads and checks the file at `path`.
    static func read(path: String) throws(ConfigurationError) -> ConfigurationFile {
        guard let bytes = readFile(path) else {
            throw ConfigurationError(key: "", "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(bytes, path: path)
    }

    /// Parses and checks `bytes`; `path` names them in errors.
    static func parse(_ bytes: [UInt8], path: String) throws(ConfigurationError) -> ConfigurationFile {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(key: "", "\(path): not valid JSON: \(error)")
        }
        guard case .object(let root) = document else { throw ConfigurationError(key: "", "\(path): the top level must be a JSON object") }
        let names = ConfigurationKey.all.map(\.name)
        let topLevel = orderedUnique(names.map { String($0.split(separator: ".")[0]) })
        var values: [String: JSONValue] = [:]
        for key in root.keys.sorted() {
            let value = root[key]!
            if names.contains(key) {
                values[key] = value
                continue
            }
            guard topLevel.contains(key) else { throw unknown(key, allowed: topLevel, path: path) }
            guard case .object(let group) = value else {
                throw ConfigurationError(key: key, "\(path): invalid value \(value.description) for \(key): allowed: an object")
            }
            let members = names.filter { $0.hasPrefix(key + ".") }
            for member in group.keys.sorted() {
                let full = key + "." + member
                guard members.contains(full) else { throw unknown(full, allowed: members, path: path) }
                values[full] = group[member]!
            }
        }
        return ConfigurationFile(path: path, values: values, bytes: bytes)
    }

    /// The 1-based line where `key`'s last name component appears, found by scanning for each
    /// component in turn (`"limits"` then `"header_bytes"` after it); nil when not found.
    func line(of key: String) -> Int? {
        var position = 0
        for component in key.split(separator: ".") {
            let needle = Array("\"\(component)\"".utf8)
            guard let found = find(needle, from: position) else { return nil }
            position = found
        }
        return 1 + bytes[..<position].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// The offset of `needle` used as an object key (followed by optional spaces and ':').
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
                var j = i + needle.count
                while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0A || bytes[j] == 0x0D) { j += 1 }
                if j < bytes.count && bytes[j] == UInt8(ascii: ":") { return i }
            }
            i += 1
        }
        return nil
    }

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
