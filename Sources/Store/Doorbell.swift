import Foundation
import GRDB
import Platform

/// A wake-up call from writers to the bridge: after a transaction that published notifications
/// commits, the writer sends one datagram to a unix socket next to the database; the bridge, blocked
/// on that socket, reads the new rows at once. Losing a datagram costs latency only: the bridge also
/// looks on a slow interval. (Chosen over polling `PRAGMA data_version` every millisecond, which
/// burns CPU while idle, and inotify on the WAL, which fires before the commit is visible.)
public struct Doorbell: Sendable {
    public let path: String

    /// The bell of the database at `databasePath`.
    public init(databasePath: String) {
        path = databasePath + "-bell"
    }

    /// Rings without blocking; does nothing when no bridge listens.
    public func ring() {
        guard Self.sender >= 0, let address = UnixSocketAddress(path) else { return }
        var byte: UInt8 = 1
        _ = address.withSockaddr { sendto(Self.sender, &byte, 1, Int32(MSG_DONTWAIT), $0, $1) }
    }

    /// One unbound datagram socket per process rings every bell (a socket per ring was three system calls).
    private static let sender: Int32 = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)

    /// Binds the bell for listening (the bridge). Returns the socket.
    public func listen() throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw DoorbellError("cannot create the doorbell socket") }
        guard let address = UnixSocketAddress(path) else { close(fd); throw DoorbellError("the doorbell path \(path) is too long") }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else { close(fd); throw DoorbellError("cannot bind the doorbell at \(path): \(String(cString: strerror(errno)))") }
        // Writers may run as another user (the web server's); let them ring.
        chmod(path, 0o666)
        return fd
    }

    /// Blocks until rung or `timeoutMilliseconds` pass; drains every pending ring. True when rung.
    public static func wait(_ fd: Int32, timeoutMilliseconds: Int32) -> Bool {
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollFD, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
        return true
    }
}

public struct DoorbellError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

public extension Store {
    /// Runs `change` in one write transaction and, once it has committed, wakes the bridge.
    /// Use it for every change that publishes notifications.
    @discardableResult
    func publishing<T>(_ change: (GRDB.Database) throws -> T) throws -> T {
        let result = try write(change)
        doorbell.ring()
        return result
    }

    var doorbell: Doorbell { Doorbell(databasePath: path) }
}
