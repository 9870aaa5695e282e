// The fields of a `kind: "directory"` route: `root` (required), `index`, `symlinks`,
// `precompressed`. The root is checked here, when the configuration is read, so a typo is a
// startup error naming the key rather than a site of 404s.
import Glibc

enum DirectoryRouteParser {
    static func parse(_ fields: [String: JSONValue], prefix: String,
                      invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> DirectoryOptions {
        guard case .string(let root)? = fields["root"], root.first == "/" else {
            throw invalid("\(prefix).root", fields["root"]?.description ?? "nothing", "an absolute path of a directory")
        }
        var st = stat()
        guard stat(root, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            let why = String(cString: strerror(errno == 0 ? ENOTDIR : errno))
            throw invalid("\(prefix).root", "\"\(root)\" (\(st.st_mode & S_IFMT == S_IFDIR ? why : "not a directory: \(why)"))", "an absolute path of a directory")
        }
        var options = DirectoryOptions(root: root)
        if let index = fields["index"] {
            guard case .string(let name) = index, !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != "..",
                  name.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
                throw invalid("\(prefix).index", index.description, "a file name without \"/\" (at most 255 bytes)")
            }
            options.index = name
        }
        if let symlinks = fields["symlinks"] {
            guard case .string(let name) = symlinks, let policy = DirectoryOptions.Symlinks(rawValue: name) else {
                throw invalid("\(prefix).symlinks", symlinks.description, "\"beneath\" (links inside the root only) or \"never\"")
            }
            options.symlinks = policy
        }
        if let precompressed = fields["precompressed"] {
            guard case .bool(let flag) = precompressed else { throw invalid("\(prefix).precompressed", precompressed.description, "true or false") }
            options.precompressed = flag
        }
        if let methods = fields["methods"], case .array(let items) = methods,
           !items.allSatisfy({ if case .string(let m) = $0 { return m == "GET" || m == "HEAD" } else { return false } }) {
            throw invalid("\(prefix).methods", methods.description, "GET and HEAD only: a directory route serves files")
        }
        return options
    }
}
