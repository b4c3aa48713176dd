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

    static let latencyBuckets: [Int64] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]

    private let lock = NSLock()
    private var counters: [Counter: Int] = [:]
    private var connections = 0
    private var topics = 0
    private var bucketCounts = [Int](repeating: 0, count: Metrics.latencyBuckets.count + 1)
    private var latencySum: Int64 = 0
    private var latencyCount = 0

    func count(_ counter: Counter, by amount: Int = 1) { lock.withLock { counters[counter, default: 0] += amount } }

    func setGauges(connections: Int, topics: Int) {
        lock.withLock {
            self.connections = connections
            self.topics = topics
        }
    }

    /// Commit-to-send latency of one notification.
    func observeLatency(milliseconds: Int64) {
        let value = max(0, milliseconds)
        lock.withLock {
            let index = Metrics.latencyBuckets.firstIndex { value <= $0 } ?? Metrics.latencyBuckets.count
            bucketCounts[index] += 1
            latencySum += value
            latencyCount += 1
        }
    }

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
            lines += ["# HELP gomoku_bridge_commit_to_send_ms Milliseconds from a notification's commit to its dispatch.",
                      "# TYPE gomoku_bridge_commit_to_send_ms histogram"]
            var cumulative = 0
            for (index, bound) in Metrics.latencyBuckets.enumerated() {
                cumulative += bucketCounts[index]
                lines.append("gomoku_bridge_commit_to_send_ms_bucket{le=\"\(bound)\"} \(cumulative)")
            }
            cumulative += bucketCounts[Metrics.latencyBuckets.count]
            lines += ["gomoku_bridge_commit_to_send_ms_bucket{le=\"+Inf\"} \(cumulative)",
                      "gomoku_bridge_commit_to_send_ms_sum \(latencySum)", "gomoku_bridge_commit_to_send_ms_count \(latencyCount)"]
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
