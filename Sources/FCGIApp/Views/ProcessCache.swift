import Foundation

/// Values kept by key for the life of a process, shared by its threads, bounded by forgetting all of
/// them when full rather than tracking ages: what is kept (replayed games, rendered parts of pages) is
/// cheap to rebuild now and then.
final class ProcessCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? {
        get { lock.withLock { values[key] } }
        set {
            lock.withLock {
                if newValue != nil, values.count >= capacity, values[key] == nil { values.removeAll(keepingCapacity: true) }
                values[key] = newValue
            }
        }
    }
}
