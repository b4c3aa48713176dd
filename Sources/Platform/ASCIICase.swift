extension String {
    /// Compares byte by byte with ASCII letters folded to lower case and every other byte as it is: how
    /// HTTP compares header names and SQLite's NOCASE collation orders text. Negative, zero or positive.
    public func compareIgnoringASCIICase(_ other: String) -> Int {
        func folded(_ byte: UInt8) -> UInt8 { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte }
        var mine = utf8.makeIterator(), theirs = other.utf8.makeIterator()
        while true {
            switch (mine.next(), theirs.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (a?, b?) where folded(a) != folded(b): return folded(a) < folded(b) ? -1 : 1
            default: continue
            }
        }
    }

    /// Equal ignoring the case of ASCII letters only. Byte by byte: lowercasing both sides allocated two
    /// strings per header per lookup, about a hundred per response.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.count == other.utf8.count && compareIgnoringASCIICase(other) == 0
    }
}
