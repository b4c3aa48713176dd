import CFastCGI
import Foundation

/// Where one worker process's request threads wait: a single epoll set holding the listening socket,
/// a stop pipe and every FastCGI connection the web server keeps open between requests
/// (`fastcgi_keep_conn`). Any free thread takes whatever is ready. libfcgi alone ties a kept connection
/// to the thread that accepted it, so a few idle kept connections would starve the process; here an
/// idle connection holds no thread, only its `Slot`.
final class ConnectionPoller: @unchecked Sendable {
    /// One connection's libfcgi request state (buffers, the socket), at a stable address. A slot whose
    /// connection has closed serves the next new connection.
    final class Slot {
        let request: UnsafeMutablePointer<FCGX_Request>
        fileprivate let index: Int
        fileprivate var state = State.busy

        fileprivate enum State {
            /// Without a connection, in the free list.
            case free
            /// A thread is accepting on it or answering its request.
            case busy
            /// Its kept connection waits in the epoll set for the next request.
            case waiting
        }

        fileprivate init(index: Int, listenFD: Int32) {
            self.index = index
            request = .allocate(capacity: 1)
            request.initialize(to: FCGX_Request())
            FCGX_InitRequest(request, listenFD, 0)
        }

        /// The connection's socket, -1 when it has none.
        var connectionFD: Int32 { request.pointee.ipcFd }
    }

    enum Event {
        /// The listening socket has a connection to accept (another thread or process may take it first:
        /// the socket is non-blocking, so accepting then fails with EAGAIN).
        case newConnection
        /// A kept connection has input: the web server's next request, or its close.
        case input(Slot)
        /// The worker is stopping, and every kept connection it still had is answered and closed.
        case stop
        case interrupted
    }

    private let epollFD: Int32
    private let listenFD: Int32
    private var stopPipe: [Int32] = [-1, -1]
    private let lock = NSLock()
    private var slots: [Slot] = []
    private var freeSlots: [Slot] = []
    private var accepting = true
    /// Stopping: kept connections are closed once answered, idle ones at once.
    private var stopping = false
    /// Stopping while another worker takes over: kept connections are still answered until the web server
    /// closes them.
    private var draining = false
    private var stopSignalled = false

    /// Epoll's user data: these two, or a slot's index after them.
    private static let listenerTag: UInt64 = 0
    private static let stopTag: UInt64 = 1

    /// Nil when the epoll set or the stop pipe cannot be made (no file descriptors left).
    init?(listenFD: Int32) {
        self.listenFD = listenFD
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { return nil }
        guard pipe(&stopPipe) == 0 else {
            _ = Glibc.close(epollFD)
            return nil
        }
        for fd in stopPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Every worker process has the listener in its own set: EPOLLEXCLUSIVE wakes one of them for a
        // new connection rather than all. The stop pipe stays readable once written, so every thread sees it.
        var listener = epoll_event(events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, data: epoll_data_t(u64: Self.listenerTag))
        var stop = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.stopTag))
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, listenFD, &listener) == 0,
              epoll_ctl(epollFD, EPOLL_CTL_ADD, stopPipe[0], &stop) == 0 else {
            for fd in [epollFD] + stopPipe { _ = Glibc.close(fd) }
            return nil
        }
    }

    deinit {
        for fd in [epollFD] + stopPipe { _ = Glibc.close(fd) }
        for slot in slots {
            FCGX_Free(slot.request, 1)  // closes a connection still open
            slot.request.deallocate()
        }
    }

    /// Waits until something is ready.
    func next() -> Event {
        var event = epoll_event()
        let ready = epoll_wait(epollFD, &event, 1, -1)
        if ready < 0 { return errno == EINTR ? .interrupted : .stop }
        if ready == 0 { return .interrupted }
        switch event.data.u64 {
        case Self.listenerTag: return .newConnection
        case Self.stopTag: return .stop
        case let tag:
            return lock.withLock {
                let slot = slots[Int(tag - 2)]
                // `stop` may have closed it between the event and here.
                guard slot.state == .waiting else { return .interrupted }
                slot.state = .busy
                // If the web server has closed it, libfcgi closes it too and would then accept a new
                // connection on the slot; new connections come only through `.newConnection`.
                slot.request.pointee.listen_sock = -1
                return .input(slot)
            }
        }
    }

    /// A slot with no connection, for accepting one.
    func freeSlot() -> Slot {
        lock.withLock {
            let slot = freeSlots.popLast() ?? {
                let slot = Slot(index: slots.count, listenFD: listenFD)
                slots.append(slot)
                return slot
            }()
            slot.state = .busy
            slot.request.pointee.listen_sock = listenFD
            return slot
        }
    }

    /// After a request: a connection the web server keeps waits in the set for its next request (once:
    /// EPOLLONESHOT, so exactly one thread takes it). A slot without a connection is free again; so is
    /// one whose connection is closed because the worker is stopping.
    func requestEnded(_ slot: Slot) {
        let kept = lock.withLock { () -> Bool in
            let fd = slot.connectionFD
            guard fd >= 0, !stopping || draining else { return false }
            slot.state = .waiting
            var event = epoll_event(events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue,
                                    data: epoll_data_t(u64: UInt64(slot.index + 2)))
            // Re-armed if it waited here before; added if it is new — or if its descriptor number is one a
            // closed connection had, which the kernel dropped from the set when it was closed.
            if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0
                || (errno == ENOENT && epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0) {
                return true
            }
            // Cannot wait for it (the set is out of memory): give the connection up rather than the slot.
            slot.state = .busy
            return false
        }
        guard !kept else { return }
        // Outside the lock: libfcgi's close may linger until the web server has closed its side.
        if slot.connectionFD >= 0 { FCGX_Free(slot.request, 1) }
        release(slot)
    }

    /// A slot whose connection has ended (libfcgi closed it) becomes free for a new one.
    func release(_ slot: Slot) {
        lock.withLock { freeLocked(slot) }
    }

    /// No new connections from now on: they are left to the other workers (the recycle limit is reached,
    /// or the worker is stopping).
    func stopAccepting() {
        lock.withLock { stopAcceptingLocked() }
    }

    /// Stops the worker: no new connections, and its threads end once every kept connection is closed.
    /// `draining` (another worker takes over) keeps answering on kept connections until the web server
    /// closes them: closing one itself races the web server, which may just have sent a request on it
    /// (nginx retries a GET elsewhere, but answers a POST with 502). Otherwise — and when called again
    /// without `draining`, once draining has taken long enough — idle kept connections are closed now, and
    /// the others once the request already sent on them is answered.
    func stop(draining: Bool) {
        lock.withLock {
            stopAcceptingLocked()
            stopping = true
            self.draining = draining
            if !draining {
                for slot in slots where slot.state == .waiting && !Self.hasRequest(slot.connectionFD) {
                    _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, slot.connectionFD, nil)
                    slot.request.pointee.detached = 1  // nothing unread: closed at once, no lingering
                    FCGX_Free(slot.request, 1)
                    slot.request.pointee.detached = 0
                    freeLocked(slot)
                }
            }
            signalStopIfDoneLocked()
        }
    }

    /// Whether every connection is closed (after `stop`).
    var isDone: Bool { lock.withLock { stopSignalled } }

    private func stopAcceptingLocked() {
        guard accepting else { return }
        accepting = false
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, listenFD, nil)
    }

    private func freeLocked(_ slot: Slot) {
        slot.state = .free
        freeSlots.append(slot)
        signalStopIfDoneLocked()
    }

    /// Once stopping and every connection is closed, every thread may go.
    private func signalStopIfDoneLocked() {
        guard stopping, !stopSignalled, slots.allSatisfy({ $0.state == .free }) else { return }
        stopSignalled = true
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
    }

    /// Whether the web server has sent bytes (its next request) that nobody has read yet.
    private static func hasRequest(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }
}
