import Platform

/// Whole pages as last rendered in this process, kept per key with the input they were rendered from,
/// and with what differs from one request to the next — the viewer's CSRF token, name and live
/// subscription — left as holes filled in on each request. A game page is the same for every viewer
/// in the same role while the game's row and who is here stay the same, so every request after the
/// first for a state skips Mustache, most of a page's time; any change of the input renders it anew.
final class PageMemo<Key: Hashable, Input: Equatable>: Sendable {
    /// What a request fills in. Each appears in the templates only in escaped places (`{{csrf_token}}`,
    /// `HTMLBuffer.append(escaped:)`): the stand-in rendered there is found verbatim, and the value
    /// is escaped when it takes its place.
    struct Viewer: Sendable {
        var csrfToken: String
        var liveURL: String
        var username: String
        var displayName: String

        fileprivate var values: [String] { [csrfToken, liveURL, username, displayName] }
    }

    private struct Spliced: Sendable {
        /// The page's bytes between holes: one more than `holes`.
        let segments: [[UInt8]]
        /// Which of `Viewer.values` goes after each segment but the last.
        let holes: [Int]
    }

    private let entries: ProcessCache<Key, (input: Input, signedIn: Bool, page: Spliced)>
    /// Rendered where the holes go: letters and digits, which escaping leaves alone, with a random part
    /// drawn per process, so no text a user wrote (a name in the page) can be taken for one.
    private let prefix: [UInt8]
    private let standIns: Viewer

    init(capacity: Int) {
        entries = ProcessCache(capacity: capacity)
        let prefix = "hole" + Random.token(byteCount: 12).filter { $0.isLetter || $0.isNumber } + "x"
        self.prefix = Array(prefix.utf8)
        standIns = Viewer(csrfToken: prefix + "0", liveURL: prefix + "1", username: prefix + "2", displayName: prefix + "3")
    }

    /// The page for `viewer`: spliced from the kept one when `key` was last rendered from `input` for
    /// a viewer as signed in or out as this one, otherwise `render`ed — given stand-ins for the viewer's
    /// values — kept, and spliced.
    func page(for key: Key, from input: Input, viewer: Viewer, signedIn: Bool, render: (Viewer) throws -> String) rethrows -> [UInt8] {
        if let entry = entries[key], entry.signedIn == signedIn, entry.input == input {
            return fill(entry.page, with: viewer)
        }
        let page = split(Array(try render(standIns).utf8))
        entries[key] = (input, signedIn, page)
        return fill(page, with: viewer)
    }

    private func split(_ html: [UInt8]) -> Spliced {
        var segments: [[UInt8]] = [], holes: [Int] = []
        var start = 0, index = 0
        let last = html.count - prefix.count - 1
        while index <= last {
            if html[index] == prefix[0], html[index ..< index + prefix.count].elementsEqual(prefix),
               case let digit = html[index + prefix.count] &- UInt8(ascii: "0"), digit < 4 {
                segments.append(Array(html[start ..< index]))
                holes.append(Int(digit))
                index += prefix.count + 1
                start = index
            } else {
                index += 1
            }
        }
        segments.append(Array(html[start...]))
        return Spliced(segments: segments, holes: holes)
    }

    private func fill(_ page: Spliced, with viewer: Viewer) -> [UInt8] {
        let values = viewer.values.map { Array($0.htmlEscaped.utf8) }
        var size = 0
        for segment in page.segments { size += segment.count }
        for hole in page.holes { size += values[hole].count }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        for (position, segment) in page.segments.enumerated() {
            bytes.append(contentsOf: segment)
            if position < page.holes.count { bytes.append(contentsOf: values[page.holes[position]]) }
        }
        return bytes
    }
}
