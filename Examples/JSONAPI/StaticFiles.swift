// Static files for the example: every file under the directory given with --static is read
// once at startup and registered as a fixed-body route at its path (`index.html` also at its
// directory's path), with a content type from its extension.
//
// TODO: serve the directory with `RouteKind.directory` once the static-directory route kind
// lands (files read through the ring, streamed with backpressure, new files seen without a
// restart). Until then files are preloaded, and only small ones: each becomes a route whose
// pre-built response is kept twice per worker, and the output chunk grows to the largest.
import FoundationEssentials
import Ringmaster
import RingmasterHTTP

enum StaticFiles {
    /// Files larger than this are skipped (and said so) rather than preloaded.
    static let maxFileSize = 64 * 1024
    /// At most this many files are preloaded.
    static let maxFiles = 64

    /// Adds a route for each file under `directory`; returns lines describing what was skipped.
    static func register(_ directory: String, in router: inout Router) throws -> [String] {
        var notes: [String] = []
        var count = 0
        let paths = try FileManager.default.subpathsOfDirectory(atPath: directory).sorted()
        for relative in paths {
            let full = directory + "/" + relative
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory else { continue }
            guard relative.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                notes.append("skipped \(relative): not a plain ASCII name")
                continue
            }
            guard let bytes = FileManager.default.contents(atPath: full) else { continue }
            guard bytes.count <= maxFileSize else {
                notes.append("skipped \(relative): \(bytes.count) bytes is over \(maxFileSize) (large files wait for RouteKind.directory)")
                continue
            }
            guard count < maxFiles else {
                notes.append("skipped \(relative): more than \(maxFiles) files")
                continue
            }
            let type = contentType(of: relative)
            router.body("/" + relative, contentType: type, Array(bytes))
            if relative == "index.html" || relative.hasSuffix("/index.html") {
                router.body("/" + relative.dropLast("index.html".count), contentType: type, Array(bytes))
            }
            count += 1
        }
        return notes
    }

    static func contentType(of path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return MIMEType.defaultType.description }
        var ext = String(path[path.index(after: dot)...])
        return ext.withUTF8 { MIMEType.contentType(forExtension: UnsafeRawBufferPointer($0)).description }
    }
}
