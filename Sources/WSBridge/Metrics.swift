import Foundation

/// Counters and a latency histogram, rendered in Prometheus' text format at /metrics.
final class Metrics: @unchecked Sendable {
    enum Counter: String, CaseIterable {
        case framesOut = "gomoku_bridge_frames_out_total"
        case framesIn = "gomoku_bridge_frames_in_total"
        case replays = "gomoku_bridge_replays_total"
        case replayGaps = "gomoku_bridge_replay_gaps_total"
        case droppedSlowConsumers = "gomoku_bridge_dropped_slow_consumers_total"
        case refusedConnections = "gomoku_bridge_refused_connections_total"
        case policyCloses = "gomoku_bridge_policy_closes_total"
        case appRequests = "gomoku_bridge_app_requests_total"
        case appErrors = "gomoku_bridge_app_errors_total"
    }

    /// Milliseconds; fine at the low end, where the goals are (p50 ≤ 2 ms, p99 ≤ 10 ms) and a push to a
    /// few connections lands (notifications are stamped in microseconds).
    static let latencyBuckets: [Double] = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 25, 35, 50, 75, 100, 150, 250, 500, 1000]

    /// A cumulative histogram in Prometheus' shape.
    struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.latencyBuckets.count + 1)
        var sum = 0.0
        var count = 0

        mutating func observe(_ value: Double) {
            let value = max(0, value)
            let index = Metrics.latencyBuckets.firstIndex { value <= $0 } ?? Metrics.latencyBuckets.count
            counts[index] += 1
            sum += value
            count += 1
        }

        mutating func merge(_ other: Histogram) {
            for index in counts.indices { counts[index] += other.counts[index] }
            sum += other.sum
            count += other.count
        }

        func lines(_ name: String, help: String) -> [String] {
            var lines = ["# HELP \(name) \(help)", "# TYPE \(name) histogram"]
            var cumulative = 0
            for (index, bound) in Metrics.latencyBuckets.enumerated() {
                cumulative += counts[index]
                lines.append("\(name)_bucket{le=\"\(bound)\"} \(cumulative)")
            }
            cumulative += counts[Metrics.latencyBuckets.count]
            lines += ["\(name)_bucket{le=\"+Inf\"} \(cumulative)", "\(name)_sum \(sum)", "\(name)_count \(count)"]
            return lines
        }
    }

    private let lock = NSLock()
    private var counters: [Counter: Int] = [:]
    private var connections = 0
    private var topics = 0
    private var dispatch = Histogram()
    private var flush = Histogram()

    func count(_ counter: Counter, by amount: Int = 1) { lock.withLock { counters[counter, default: 0] += amount } }

    func setGauges(connections: Int, topics: Int) {
        lock.withLock {
            self.connections = connections
            self.topics = topics
        }
    }

    /// Commit to hand-over to the connections' event loops, once per notification.
    func observeDispatch(milliseconds: Double) { lock.withLock { dispatch.observe(max(0, milliseconds)) } }

    /// Commit to each frame written to its socket, gathered per batch by the event loop that wrote them.
    func mergeFlush(_ batch: Histogram) { lock.withLock { flush.merge(batch) } }

    func prometheusText() -> String {
        lock.withLock {
            var lines = [
                "# HELP gomoku_bridge_connections Open WebSocket connections.", "# TYPE gomoku_bridge_connections gauge",
                "gomoku_bridge_connections \(connections)",
                "# HELP gomoku_bridge_topics Topics with at least one subscriber.", "# TYPE gomoku_bridge_topics gauge",
                "gomoku_bridge_topics \(topics)",
            ]
            for counter in Counter.allCases {
                lines += ["# TYPE \(counter.rawValue) counter", "\(counter.rawValue) \(counters[counter, default: 0])"]
            }
            lines += dispatch.lines("gomoku_bridge_commit_to_dispatch_ms", help: "Milliseconds from a notification's commit to its dispatch to the connections.")
            lines += flush.lines("gomoku_bridge_commit_to_flush_ms", help: "Milliseconds from a notification's commit to its frame written to a socket.")
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
