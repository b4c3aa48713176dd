import Platform
import CFastCGI
import Foundation
import Logging

/// One worker process: `threads` accept loops on a listening FastCGI socket, each owning one
/// `FCGX_Request` for its whole life. It stops gracefully on SIGTERM/SIGINT/SIGQUIT — no new
/// requests, in-flight ones finish — and by itself after `maxRequests` (0 = never).
public final class FastCGIWorker: @unchecked Sendable {
    let app: App
    let listenFD: Int32
    let threads: Int
    let maxRequests: Int
    private let logger = Logger(label: "gomoku.worker")
    /// Written to once to wake every accept loop for shutdown.
    private var stopPipe: [Int32] = [-1, -1]
    private let lock = NSLock()
    private var served = 0
    /// Set once the recycle limit is reached: no loop accepts another request.
    private var recycling = false

    public init(app: App, listenFD: Int32, threads: Int, maxRequests: Int) {
        self.app = app
        self.listenFD = listenFD
        self.threads = max(1, threads)
        self.maxRequests = maxRequests
    }

    /// The signals that stop (or, SIGHUP, would reload) a worker: taken only by `sigwait` in `run`.
    static var stopSignalSet: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP] { sigaddset(&set, signal) }
        return set
    }

    /// Serves until told to stop; returns the process exit code.
    public func run() -> Int32 {
        // Blocked before FCGX_Init installs its handlers, which only set a flag: a stop signal that one of
        // them caught on a thread not blocking it would be lost to `sigwait` below. (`serve` starts its
        // workers with these already blocked, so one that comes during start-up waits for it.)
        var stopSignals = Self.stopSignalSet
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        FCGX_Init()
        signal(SIGPIPE, SIG_IGN)
        guard pipe(&stopPipe) == 0 else { logger.critical("cannot create the stop pipe"); return 1 }
        // Non-blocking listen socket: a loop woken for a connection may lose the race for it to
        // another process; accept then fails with EAGAIN instead of blocking past a stop request.
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)

        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                acceptLoop()
                group.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        app.longPolls.setLimit(threads / 2)
        // Parse every template before the first request rather than during it.
        do { try app.views.preload() } catch { logger.critical("templates do not parse", metadata: ["error": "\(error)"]); return 1 }
        let jobs = JobRunner(app: app, threads: app.config.jobThreads)
        jobs.start()
        logger.info("worker ready", metadata: ["threads": "\(threads)", "job_threads": "\(app.config.jobThreads)"])
        while true {
            var received: Int32 = 0
            sigwait(&stopSignals, &received)
            if received == SIGHUP {
                logger.notice("SIGHUP ignored by a single worker; reload through the master (gomoku-fcgi serve)")
                continue
            }
            break
        }
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        group.wait()
        jobs.stop()
        logger.info("worker stopped", metadata: ["served": "\(served)"])
        return 0
    }

    private func acceptLoop() {
        let app: App
        do {
            app = try self.app.forRequestThread()
        } catch {
            logger.error("no read connection of the thread's own; reading through the shared pool", metadata: ["error": "\(error)"])
            app = self.app
        }
        var request = FCGX_Request()
        FCGX_InitRequest(&request, listenFD, 0)
        // Every accept loop of every worker process waits on the one listening socket. Registered with
        // EPOLLEXCLUSIVE, a new connection wakes one of them rather than all (with plain poll, each
        // request woke every loop, and all but one went back to sleep empty-handed).
        let waiter = ListenerWaiter(listenFD: listenFD, stopFD: stopPipe[0])
        defer { waiter.close() }
        serving: while !isRecycling {
            // With fastcgi_keep_conn the next request arrives on the kept connection, not the listener.
            switch request.ipcFd >= 0 ? waiter.waitForInput(on: request.ipcFd) : waiter.waitForConnection() {
            case .stop: break serving
            case .interrupted: continue serving
            case .ready:
                if isRecycling { break serving }
                guard FCGX_Accept_r(&request) >= 0 else { continue serving }
                serve(&request, app: app)
                Self.closeAtOnceIfInputEnded(&request)
                FCGX_Finish_r(&request)
                if countServed() { kill(getpid(), SIGTERM) }
            }
        }
        FCGX_Free(&request, 1)
    }

    /// libfcgi ends a connection with a lingering close: it shuts down its side, then waits (in `select`,
    /// up to 2 s) for the web server to close first, so that input it never read cannot make the kernel
    /// reset the connection under a response still being read. That wait holds the thread for a round
    /// trip through the web server on every request. Once the request's input has been read to its
    /// end-of-stdin record there is nothing left to reset it, so the connection is closed at once.
    /// Only input that has already arrived is read (the socket is non-blocking meanwhile): a client that
    /// has not sent its end of input yet gets the lingering close, and no thread waits for it here.
    static func closeAtOnceIfInputEnded(_ request: inout FCGX_Request) {
        request.detached = 0  // the struct is reused for the thread's next connection
        guard request.keepConnection == 0, let input = request.in, request.ipcFd >= 0 else { return }
        let fd = request.ipcFd
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return }
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        // A GET's end-of-stdin record is usually in libfcgi's buffer already (read with the params); a
        // body the app did not read (an error answered early) is left to the lingering close after a few
        // reads rather than drained here.
        for _ in 0..<4 where input.pointee.isClosed == 0 {
            _ = withUnsafeMutableBytes(of: &scratch) { buffer in
                FCGX_GetStr(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count), input)
            }
        }
        // A read that found nothing (EAGAIN) closes the stream with an error: then linger as before.
        if input.pointee.isClosed != 0, FCGX_GetError(input) == 0 { request.detached = 1 }
        // Blocking again, as libfcgi expects its sockets (the lingering close reads from it).
        _ = fcntl(fd, F_SETFL, flags)
    }

    /// Counts a finished request; true exactly once, when the recycle limit is reached.
    private func countServed() -> Bool {
        lock.withLock {
            served += 1
            guard maxRequests > 0, served >= maxRequests, !recycling else { return false }
            recycling = true
            return true
        }
    }

    private var isRecycling: Bool { lock.withLock { recycling } }

    private func serve(_ request: inout FCGX_Request, app: App) {
        var params: [String: String] = [:]
        var validUTF8 = true
        if var entry = request.envp {
            while let pointer = entry.pointee {
                // Raw bytes that are not UTF-8 (a path sent unencoded) are refused, not repaired.
                guard let pair = String(validatingCString: pointer) else {
                    validUTF8 = false
                    entry += 1
                    continue
                }
                // By byte: a Character search walks grapheme boundaries, and "=" is ASCII.
                if let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) {
                    params[String(pair[..<equals])] = String(pair[pair.utf8.index(after: equals)...])
                }
                entry += 1
            }
        }
        let response: Response
        switch readBody(request.in, declaredLength: params["CONTENT_LENGTH"]) {
        case .success where !validUTF8:
            response = app.respond(params: params, rejecting: HTTPError(.badRequest, "The request contains bytes that are not valid UTF-8."))
        case .success(let body): response = app.respond(params: params, body: body)
        case .failure(let error): response = app.respond(params: params, rejecting: error)
        }
        var head = response.cgiHead()
        let sent = head.withUTF8 { head in
            response.body.withUnsafeBytes { body in
                FastCGIRecords.send(head: UnsafeRawBufferPointer(head), body: body, requestID: Int(request.requestId), to: request.ipcFd)
            }
        }
        // The records are written: libfcgi's streams must not add their own end records when the request
        // is finished (closing a stream only writes those, and only once).
        request.out?.pointee.wasFCloseCalled = 1
        request.err?.pointee.wasFCloseCalled = 1
        if !sent { request.keepConnection = 0 }  // a broken connection is never kept
    }

    private func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, declaredLength: String?) -> Result<[UInt8], HTTPError> {
        let length = Int(declaredLength ?? "") ?? 0
        guard length > 0 else { return .success([]) }
        var body = [UInt8](repeating: 0, count: min(length, app.config.maxBodyBytes + 1))
        var filled = 0
        var discarded = 0
        var scratch: [CChar] = []  // only for draining a body over the limit
        while filled + discarded < length {
            let read: Int32
            if filled < body.count {
                read = body.withUnsafeMutableBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        FCGX_GetStr($0 + filled, Int32(buffer.count - filled), stream)
                    }
                }
                if read > 0 { filled += Int(read) }
            } else {
                // Over the limit: drain (up to a bound) so the web server sees our 413, not a reset.
                guard discarded < 16 * app.config.maxBodyBytes else { break }
                if scratch.isEmpty { scratch = [CChar](repeating: 0, count: 65536) }
                read = FCGX_GetStr(&scratch, Int32(scratch.count), stream)
                if read > 0 { discarded += Int(read) }
            }
            if read <= 0 { break }
        }
        if filled > app.config.maxBodyBytes || length > app.config.maxBodyBytes {
            return .failure(HTTPError(.payloadTooLarge, "The request body is larger than \(app.config.maxBodyBytes / 1024) KiB."))
        }
        guard filled == length else { return .failure(HTTPError(.badRequest, "The request body ended early.")) }
        return .success(body)
    }
}

/// What an accept loop waits on: the shared listening socket (or a kept connection) and the stop pipe.
struct ListenerWaiter {
    enum Event { case ready, stop, interrupted }

    private let listenFD: Int32
    private let stopFD: Int32
    /// -1 when epoll could not be set up (no file descriptors left): then plain poll, as before.
    private let epollFD: Int32

    init(listenFD: Int32, stopFD: Int32) {
        self.listenFD = listenFD
        self.stopFD = stopFD
        var epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        var listener = epoll_event(events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, data: epoll_data_t(fd: listenFD))
        var stop = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: stopFD))
        if epollFD >= 0, epoll_ctl(epollFD, EPOLL_CTL_ADD, listenFD, &listener) != 0 || epoll_ctl(epollFD, EPOLL_CTL_ADD, stopFD, &stop) != 0 {
            _ = Glibc.close(epollFD)
            epollFD = -1
        }
        self.epollFD = epollFD
    }

    /// Until a connection may be accepted (another loop can still win the race: accept is non-blocking).
    func waitForConnection() -> Event {
        guard epollFD >= 0 else { return waitForInput(on: listenFD) }
        var events = [epoll_event](repeating: epoll_event(), count: 2)
        let ready = epoll_wait(epollFD, &events, 2, -1)
        if ready < 0 { return errno == EINTR ? .interrupted : .stop }
        return events.prefix(Int(ready)).contains { $0.data.fd == stopFD } ? .stop : .ready
    }

    /// Until `fd` (a kept connection) has input or is closed.
    func waitForInput(on fd: Int32) -> Event {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 2, -1)
        if ready < 0 { return errno == EINTR ? .interrupted : .stop }
        if fds[1].revents != 0 { return .stop }
        return fds[0].revents != 0 ? .ready : .interrupted
    }

    func close() { if epollFD >= 0 { _ = Glibc.close(epollFD) } }
}

extension App {
    /// The answer to a request whose body could not be read (too large, cut short).
    public func respond(params: [String: String], rejecting error: HTTPError) -> Response {
        var params = params
        params["CONTENT_LENGTH"] = "0"
        // Route through the normal error path so the page, headers and logging are the usual ones.
        return respond(params: params, body: [], forcedError: error)
    }
}
