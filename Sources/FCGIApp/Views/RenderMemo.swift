import Foundation

/// HTML this process last rendered for each `Key`, with the input it was rendered from: reused while
/// the input is unchanged, rendered again (and kept) when it changes. Mustache's name lookups are most
/// of a page's time, and the parts kept here are the same for every viewer: a game's board (input: the
/// game's row — moves made, status, result, names — so every move, resignation or rename renders it
/// anew) and who is here on a topic.
final class RenderMemo<Key: Hashable, Input: Equatable>: Sendable {
    private let entries: ProcessCache<Key, (input: Input, html: String)>

    init(capacity: Int) { entries = ProcessCache(capacity: capacity) }

    func html(for key: Key, from input: Input, render: () throws -> String) rethrows -> String {
        if let entry = entries[key], entry.input == input { return entry.html }
        let html = try render()
        entries[key] = (input, html)
        return html
    }
}
