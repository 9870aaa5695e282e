// MIMEType: extension → Content-Type, case-insensitive, with a safe default.

import RingmasterHTTP
import Testing

/// The content type for an extension given as a String.
private func type(forExtension text: String) -> String {
    let literal = Array(text.utf8).withUnsafeBytes { MIMEType.contentType(forExtension: $0) }
    return literal.description
}

/// The content type for a path given as a String.
private func type(forPath text: String) -> String {
    Array(text.utf8).withUnsafeBytes { MIMEType.contentType(forPath: $0) }.description
}

@Suite("MIME types")
struct MIMETypeTests {
    @Test(arguments: [
        ("html", "text/html; charset=utf-8"), ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"), ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"), ("json", "application/json"),
        ("map", "application/json"), ("txt", "text/plain; charset=utf-8"),
        ("xml", "text/xml; charset=utf-8"), ("svg", "image/svg+xml"), ("png", "image/png"),
        ("jpg", "image/jpeg"), ("jpeg", "image/jpeg"), ("gif", "image/gif"), ("webp", "image/webp"),
        ("avif", "image/avif"), ("ico", "image/x-icon"), ("woff", "font/woff"), ("woff2", "font/woff2"),
        ("ttf", "font/ttf"), ("otf", "font/otf"), ("wasm", "application/wasm"), ("pdf", "application/pdf"),
        ("zip", "application/zip"), ("gz", "application/gzip"), ("mp4", "video/mp4"), ("webm", "video/webm"),
        ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"), ("wav", "audio/wav"), ("csv", "text/csv; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
    ])
    func knownExtensions(ext: String, expected: String) {
        #expect(type(forExtension: ext) == expected)
        #expect(type(forExtension: ext.uppercased()) == expected)
        #expect(type(forPath: "/dir/file." + ext) == expected)
    }

    @Test(arguments: ["HTML", "Js", "WOFF2", "JpEg", "Md"])
    func caseIsIgnored(ext: String) {
        #expect(type(forExtension: ext) != MIMEType.defaultType.description)
    }

    @Test(arguments: ["", "exe", "html5", "h", "tml", "woff3", "jsx", "j\u{0}", "é"])
    func unknownExtensionsGetTheDefault(ext: String) {
        #expect(type(forExtension: ext) == "application/octet-stream")
    }

    @Test(arguments: [
        ("/a/b.css", "text/css; charset=utf-8"),
        ("/x.tar.gz", "application/gzip"),
        ("/a/b.JPG", "image/jpeg"),
        ("index.html", "text/html; charset=utf-8"),
        ("/a.b/c", "application/octet-stream"),
        ("/noext", "application/octet-stream"),
        ("/.htaccess", "application/octet-stream"),
        ("/a/.hidden", "application/octet-stream"),
        ("/a/.config.json", "application/json"),
        ("/a/file.", "application/octet-stream"),
        ("/", "application/octet-stream"),
        ("", "application/octet-stream"),
    ])
    func pathsUseTheLastSegmentsExtension(path: String, expected: String) {
        #expect(type(forPath: path) == expected)
    }
}
