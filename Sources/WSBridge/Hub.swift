import Foundation
import NIOCore
import Store

/// Where the hub delivers frames: one open WebSocket. `push` may be called from any thread;
/// `deliver` only on the sink's `eventLoop`, and it tells whether the frame went to the socket now
/// (not when it is held for a replay in progress, or the connection is closing).
protocol FrameSink: AnyObject, Sendable {
    var eventLoop: (any EventLoop)? { get }
    func push(_ frame: SharedFrame)
    @discardableResult
    func deliver(_ frame: SharedFrame) -> Bool
    func requestClose(code: UInt16, reason: String)
}

/// Every open connection, indexed by topic and user, and the live cursor: the id of the last
/// notification dispatched. Registration and dispatch hold one lock, so a new connection gets each
/// notification either live or in its replay — never both, never neither.
final class Hub: @unchecked Sendable {
    struct Limits: Sendable {
        var connectionsPerUser = 20
        var maxConnections = 100_000
    }

    enum RegistrationError: Error { case tooManyForUser, overloaded }

    private struct Connection {
        let userID: Int64?
        let topics: [String]
        let sink: any FrameSink
    }

    private let lock = NSLock()
    private var connections: [String: Connection] = [:]
    private var byTopic: [String: Set<String>] = [:]
    private var perUser: [Int64: Int] = [:]
    private var cursor: Int64 = 0
    private var limits: Limits
    let metrics: Metrics

    init(limits: Limits, metrics: Metrics) {
        self.limits = limits
        self.metrics = metrics
    }

    var liveCursor: Int64 { lock.withLock { cursor } }

    func updateLimits(_ limits: Limits) { lock.withLock { self.limits = limits } }

    func start(at cursor: Int64) { lock.withLock { self.cursor = cursor } }

    /// Adds a connection and returns the cursor its replay must reach.
    func register(id: String, userID: Int64?, topics: [String], sink: any FrameSink) throws(RegistrationError) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        if connections.count >= limits.maxConnections { throw .overloaded }
        if let userID, perUser[userID, default: 0] >= limits.connectionsPerUser { throw .tooManyForUser }
        connections[id] = Connection(userID: userID, topics: topics, sink: sink)
        for topic in topics { byTopic[topic, default: []].insert(id) }
        if let userID { perUser[userID, default: 0] += 1 }
        metrics.setGauges(connections: connections.count, topics: byTopic.count)
        return cursor
    }

    func unregister(id: String) {
        lock.withLock {
            guard let connection = connections.removeValue(forKey: id) else { return }
            for topic in connection.topics {
                byTopic[topic]?.remove(id)
                if byTopic[topic]?.isEmpty == true { byTopic.removeValue(forKey: topic) }
            }
            if let userID = connection.userID {
                perUser[userID, default: 1] -= 1
                if perUser[userID] == 0 { perUser.removeValue(forKey: userID) }
            }
            metrics.setGauges(connections: connections.count, topics: byTopic.count)
        }
    }

    /// Sends each notification, in id order, to the connections it is for, and advances the cursor.
    func dispatch(_ notifications: [Outbox.Notification]) {
        let now = unixMicros()
        lock.withLock {
            for notification in notifications where notification.id > cursor {
                let text = Self.frame(notification)
                let targets: Set<String>
                if let connectionID = notification.connectionID {
                    targets = byTopic[notification.topic]?.contains(connectionID) == true ? [connectionID] : []
                } else {
                    targets = byTopic[notification.topic] ?? []
                }
                // One task per event loop for all its connections, not one per connection.
                var batches: [ObjectIdentifier: (loop: any EventLoop, sinks: [any FrameSink])] = [:]
                for id in targets {
                    guard let connection = connections[id] else { continue }
                    if let userID = notification.userID, connection.userID != userID { continue }
                    guard let loop = connection.sink.eventLoop else { continue }
                    batches[ObjectIdentifier(loop), default: (loop, [])].sinks.append(connection.sink)
                }
                for (loop, sinks) in batches.values {
                    // One frame per event loop, shared by its connections and compressed at most once for
                    // them: its buffers' reference counts then stay in one core's cache instead of
                    // bouncing between the loops' cores on every write.
                    let frame = SharedFrame(text)
                    loop.execute { [metrics] in
                        // A frame for a writable socket is with the kernel when `deliver` returns, so the
                        // clock after each one is its flush time; merged into /metrics once per batch.
                        var flushed = Metrics.Histogram()
                        for sink in sinks where sink.deliver(frame) {
                            flushed.observe(Double(unixMicros() - notification.createdMicros) / 1000)
                        }
                        metrics.mergeFlush(flushed)
                    }
                }
                metrics.count(.framesOut, by: targets.count)
                metrics.observeDispatch(milliseconds: Double(now - notification.createdMicros) / 1000)
                cursor = notification.id
            }
        }
    }

    /// Asks every connection to close with `code` (1012 when the bridge restarts).
    func closeAll(code: UInt16, reason: String) {
        let sinks = lock.withLock { connections.values.map(\.sink) }
        for sink in sinks { sink.requestClose(code: code, reason: reason) }
    }

    var connectionCount: Int { lock.withLock { connections.count } }

    /// The text frame of a notification: its id in a leading comment (htmx swaps elements only),
    /// which the page's live.js remembers for replay.
    static func frame(_ notification: Outbox.Notification) -> String {
        "<!--n:\(notification.id)-->" + notification.html
    }
}
