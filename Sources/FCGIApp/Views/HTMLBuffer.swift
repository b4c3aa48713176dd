/// HTML built as bytes. A board render appends a few thousand small pieces; Swift's `String` appends
/// (grapheme, capacity and ASCII-flag bookkeeping on each) cost more than everything else in it.
struct HTMLBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// One ASCII character that needs no escaping.
    mutating func append(ascii byte: UInt8) { bytes.append(byte) }

    /// Markup that is already HTML (a rendered fragment); never user text.
    mutating func append(html: String) { bytes.append(contentsOf: html.utf8) }

    /// Text escaped for a text node or a quoted attribute value.
    mutating func append(escaped text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "\""): append("&quot;")
            case UInt8(ascii: "'"): append("&#39;")
            default: bytes.append(byte)
            }
        }
    }

    mutating func append(_ number: Int) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether `byte` is one of the five characters `append(escaped:)` replaces.
    static func needsEscaping(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}

extension String {
    /// Escaped for an HTML text node or a quoted attribute. Byte by byte: all five characters are
    /// ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII. Most text needs nothing and is
    /// returned as it is.
    var htmlEscaped: String {
        guard utf8.contains(where: HTMLBuffer.needsEscaping) else { return self }
        var buffer = HTMLBuffer(capacity: utf8.count + 16)
        buffer.append(escaped: self)
        return buffer.string
    }
}
