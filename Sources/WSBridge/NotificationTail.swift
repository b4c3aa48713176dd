import Foundation
import Logging
import Store

/// Follows the notification table: wakes on the doorbell (or every `fallbackMilliseconds`), reads
/// rows after the live cursor in id order and hands them to the hub. Also trims old rows.
final class NotificationTail: @unchecked Sendable {
    let store: Store
    let hub: Hub
    /// Seconds to keep notifications (read each time: SIGHUP may change it).
    let retention: @Sendable () -> Int64
    let fallbackMilliseconds: Int32 = 100
    static let batchLimit = 1000
    private let logger = Logger(label: "gomoku.bridge.tail")
    private let stopLock = NSLock()
    private var stopped = false

    init(store: Store, hub: Hub, retention: @escaping @Sendable () -> Int64) {
        self.store = store
        self.hub = hub
        self.retention = retention
    }

    /// Starts following on its own thread; the live cursor starts at the newest committed row.
    func start() throws {
        let bell = try store.doorbell.listen()
        hub.start(at: try store.latestNotificationID())
        let thread = Thread { [self] in run(bell: bell) }
        thread.name = "notification-tail"
        thread.start()
    }

    func stop() { stopLock.withLock { stopped = true } }

    private var isStopped: Bool { stopLock.withLock { stopped } }

    private func run(bell: Int32) {
        var lastTrim = Date.distantPast
        while !isStopped {
            _ = Doorbell.wait(bell, timeoutMilliseconds: fallbackMilliseconds)
            do {
                // A batch shorter than the limit was everything committed when it was read.
                var batch: [Outbox.Notification]
                repeat {
                    batch = try store.notifications(after: hub.liveCursor, limit: Self.batchLimit)
                    if !batch.isEmpty { hub.dispatch(batch) }
                } while batch.count == Self.batchLimit
                if Date().timeIntervalSince(lastTrim) > 10 {
                    lastTrim = Date()
                    let trimmed = try store.trimNotifications(olderThan: retention() * 1000)
                    if trimmed > 0 { logger.debug("trimmed notifications", metadata: ["count": "\(trimmed)"]) }
                }
            } catch {
                logger.error("reading notifications failed; retrying", metadata: ["error": "\(error)"])
                usleep(200_000)
            }
        }
        close(bell)
    }
}
