// The request fields a file response depends on, found in one pass over the parsed head.

/// Values (slices of the parsed buffer) of the fields that change a file's answer.
public struct FileRequestFields {
    public var ifNoneMatch: UnsafeRawBufferPointer?
    public var ifModifiedSince: UnsafeRawBufferPointer?
    public var range: UnsafeRawBufferPointer?
    public var ifRange: UnsafeRawBufferPointer?
    public var acceptEncoding: UnsafeRawBufferPointer?

    public init() {}

    /// Scans `fields` (parsed from `buffer`). A field repeated on several lines keeps its
    /// first line: for If-None-Match that may miss a match and cost a full 200, never a
    /// wrong 304; a repeated Range is invalid anyway (§14.2 allows ignoring it).
    public static func scan(_ fields: UnsafeBufferPointer<HTTPHeaderField>, count: Int,
                            in buffer: UnsafeRawBufferPointer) -> FileRequestFields {
        var found = FileRequestFields()
        var i = 0
        while i < count {
            defer { i &+= 1 }
            let field = fields[i]
            let name = field.name(in: buffer)
            // The length picks the only candidate, so each field costs one comparison at most.
            switch name.count {
            case 5 where found.range == nil && ASCII.equalsCaseInsensitive(name, "range"):
                found.range = field.value(in: buffer)
            case 8 where found.ifRange == nil && ASCII.equalsCaseInsensitive(name, "if-range"):
                found.ifRange = field.value(in: buffer)
            case 13 where found.ifNoneMatch == nil && ASCII.equalsCaseInsensitive(name, "if-none-match"):
                found.ifNoneMatch = field.value(in: buffer)
            case 15 where found.acceptEncoding == nil && ASCII.equalsCaseInsensitive(name, "accept-encoding"):
                found.acceptEncoding = field.value(in: buffer)
            case 17 where found.ifModifiedSince == nil && ASCII.equalsCaseInsensitive(name, "if-modified-since"):
                found.ifModifiedSince = field.value(in: buffer)
            default: break
            }
        }
        return found
    }

    /// Whether `Accept-Encoding` lets us send gzip (RFC 9110 §12.5.3): a `gzip` or `x-gzip`
    /// element, or `*`, with a q-value other than 0. A `gzip;q=0` refuses gzip even when
    /// `*` allows everything else. No field means no preference, but serving gzip to a
    /// client that did not ask is the classic way to break one, so it is treated as "no".
    public static func allowsGzip(_ acceptEncoding: UnsafeRawBufferPointer?) -> Bool {
        guard let value = acceptEncoding else { return false }
        var gzip: Bool?
        var star = false
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end &+= 1 }
            let element = UnsafeRawBufferPointer(rebasing: value[start..<end])
            var tokenEnd = 0
            while tokenEnd < element.count && element[tokenEnd] != UInt8(ascii: ";") { tokenEnd &+= 1 }
            let token = EntityTag.trimmed(UnsafeRawBufferPointer(rebasing: element[0..<tokenEnd]))
            let accepted = !isZeroQuality(UnsafeRawBufferPointer(rebasing: element[tokenEnd...]))
            if ASCII.equalsCaseInsensitive(token, "gzip") || ASCII.equalsCaseInsensitive(token, "x-gzip") {
                gzip = (gzip ?? false) || accepted
            } else if token.count == 1 && token[0] == UInt8(ascii: "*") {
                star = accepted
            }
            start = end &+ 1
        }
        return gzip ?? star
    }

    /// Whether parameters `;q=0`, `;q=0.0`, `; q=0.000` (§12.4.2) give quality zero.
    static func isZeroQuality(_ parameters: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < parameters.count {
            if (parameters[i] == UInt8(ascii: "q") || parameters[i] == UInt8(ascii: "Q")) && i + 1 < parameters.count
                && parameters[i + 1] == UInt8(ascii: "=") {
                var j = i + 2
                guard j < parameters.count, parameters[j] == UInt8(ascii: "0") else { return false }
                j += 1
                if j < parameters.count && parameters[j] == UInt8(ascii: ".") {
                    j += 1
                    while j < parameters.count && parameters[j] == UInt8(ascii: "0") { j += 1 }
                }
                while j < parameters.count && (parameters[j] == UInt8(ascii: " ") || parameters[j] == UInt8(ascii: "\t")) { j += 1 }
                return j == parameters.count || parameters[j] == UInt8(ascii: ";")
            }
            i += 1
        }
        return false
    }
}
