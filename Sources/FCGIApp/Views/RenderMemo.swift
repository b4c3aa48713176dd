import Foundation

/// HTML this process last rendered for each `Key`, with the input it was rendered from: reused while
/// the input is unchanged, rendered again (and kept) when it changes. Mustache's name lookups are most
/// of a page's time, and the parts kept here are the same for every viewer: a game's board (input: the
/// game's row — moves made, status, result, names — so every move, resignation or rename renders it
/// anew) and who is here on a topic.
final class RenderMemo<Key: Hashable, Input: Equatable>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: (input: Input, html: String)] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func html(for key: Key, from input: Input, render: () throws -> String) rethrows -> String {
        if let entry = lock.withLock({ entries[key] }), entry.input == input { return entry.html }
        let html = try render()
        lock.withLock {
            // Full: forget everything rather than track ages; rendering again now and then is cheap.
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = (input, html)
        }
        return html
    }
}
