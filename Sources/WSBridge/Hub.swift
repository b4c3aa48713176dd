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
        let topics: Set<String>
        let sink: any FrameSink
        let loop: (any EventLoop)?
    }

    /// One topic's subscribers on one event loop, kept as the array that loop's task takes whole:
    /// a broadcast costs the tail thread one hand-over per loop, not a lookup and a retain per
    /// connection (at 500 subscribers those retains, bouncing the connections' reference counts
    /// between the cores, were most of a millisecond before the first frame was written).
    private struct LoopShare {
        let loop: any EventLoop
        private(set) var sinks: [any FrameSink] = []
        private(set) var userIDs: [Int64?] = []
        private var ids: [String] = []
        private var positions: [String: Int] = [:]

        init(loop: any EventLoop) { self.loop = loop }

        var isEmpty: Bool { sinks.isEmpty }

        mutating func insert(id: String, userID: Int64?, sink: any FrameSink) {
            guard positions[id] == nil else { return }
            positions[id] = sinks.count
            ids.append(id)
            sinks.append(sink)
            userIDs.append(userID)
        }

        /// Moves the last subscriber into the leaving one's place: constant time at any size (the
        /// order of connections within a loop means nothing; each gets its notifications in id order).
        mutating func remove(id: String) {
            guard let index = positions.removeValue(forKey: id) else { return }
            let last = sinks.count - 1
            if index != last {
                sinks.swapAt(index, last)
                userIDs.swapAt(index, last)
                ids.swapAt(index, last)
                positions[ids[index]] = index
            }
            sinks.removeLast()
            userIDs.removeLast()
            ids.removeLast()
        }
    }

    private let lock = NSLock()
    private var connections: [String: Connection] = [:]
    private var byTopic: [String: [ObjectIdentifier: LoopShare]] = [:]
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
        let loop = sink.eventLoop
        let connection = Connection(userID: userID, topics: Set(topics), sink: sink, loop: loop)
        connections[id] = connection
        if let loop {
            let key = ObjectIdentifier(loop)
            for topic in connection.topics {
                byTopic[topic, default: [:]][key, default: LoopShare(loop: loop)].insert(id: id, userID: userID, sink: sink)
            }
        }
        if let userID { perUser[userID, default: 0] += 1 }
        metrics.setGauges(connections: connections.count, topics: byTopic.count)
        return cursor
    }

    func unregister(id: String) {
        lock.withLock {
            guard let connection = connections.removeValue(forKey: id) else { return }
            if let loop = connection.loop {
                let key = ObjectIdentifier(loop)
                for topic in connection.topics {
                    byTopic[topic]?[key]?.remove(id: id)
                    if byTopic[topic]?[key]?.isEmpty == true { byTopic[topic]?.removeValue(forKey: key) }
                    if byTopic[topic]?.isEmpty == true { byTopic.removeValue(forKey: topic) }
                }
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
                var sent = 0
                if let connectionID = notification.connectionID {
                    if let connection = connections[connectionID], let loop = connection.loop,
                       connection.topics.contains(notification.topic),
                       notification.userID == nil || connection.userID == notification.userID {
                        hand([connection.sink], on: loop, text: text, createdMicros: notification.createdMicros)
                        sent = 1
                    }
                } else if let shares = byTopic[notification.topic] {
                    for share in shares.values {
                        var sinks = share.sinks
                        if let userID = notification.userID {
                            sinks = zip(share.sinks, share.userIDs).compactMap { sink, owner in owner == userID ? sink : nil }
                            if sinks.isEmpty { continue }
                        }
                        hand(sinks, on: share.loop, text: text, createdMicros: notification.createdMicros)
                        sent += sinks.count
                    }
                }
                metrics.count(.framesOut, by: sent)
                metrics.observeDispatch(milliseconds: Double(now - notification.createdMicros) / 1000)
                cursor = notification.id
            }
        }
    }

    /// One task on `loop` writes the frame to all of `sinks`, which live on that loop.
    private func hand(_ sinks: [any FrameSink], on loop: any EventLoop, text: String, createdMicros: Int64) {
        // One frame per event loop, shared by its connections and compressed at most once for them:
        // its buffers' reference counts then stay in one core's cache instead of bouncing between
        // the loops' cores on every write.
        let frame = SharedFrame(text)
        loop.execute { [metrics] in
            // A frame for a writable socket is with the kernel when `deliver` returns, so the clock
            // after each one is its flush time; merged into /metrics once per batch.
            var flushed = Metrics.Histogram()
            for sink in sinks where sink.deliver(frame) {
                flushed.observe(Double(unixMicros() - createdMicros) / 1000)
            }
            metrics.mergeFlush(flushed)
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
