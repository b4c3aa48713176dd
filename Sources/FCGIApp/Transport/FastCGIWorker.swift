import Platform
import CFastCGI
import Foundation
import Logging

/// One worker process: `threads` request threads taking, from one epoll set (`ConnectionPoller`), new
/// connections on a listening FastCGI socket and the next requests on connections the web server keeps
/// open. It stops gracefully on SIGTERM/SIGINT — no new connections, requests already sent and in
/// flight are answered — and on SIGQUIT (a reload) also keeps answering on kept connections until the web
/// server closes them; by itself after `maxRequests` (0 = never), as on SIGQUIT.
public final class FastCGIWorker: @unchecked Sendable {
    let app: App
    let listenFD: Int32
    let threads: Int
    let maxRequests: Int
    private let logger = Logger(label: "gomoku.worker")
    private let lock = NSLock()
    private var served = 0
    /// Set once the recycle limit is reached, so the recycling starts once.
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
        // Non-blocking listen socket: a loop woken for a connection may lose the race for it to
        // another process; accept then fails with EAGAIN instead of blocking past a stop request.
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)

        guard let poller = ConnectionPoller(listenFD: listenFD) else {
            logger.critical("cannot create the epoll set and stop pipe for the listening socket")
            return 1
        }
        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                acceptLoop(poller)
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
        var received: Int32 = 0
        while true {
            sigwait(&stopSignals, &received)
            if received == SIGHUP {
                logger.notice("SIGHUP ignored by a single worker; reload through the master (gomoku-fcgi serve)")
                continue
            }
            break
        }
        // SIGQUIT: the master's reload (or this worker's recycling) — another worker takes over, so the
        // connections the web server keeps are answered until it closes them, for up to `drain` seconds.
        if received == SIGQUIT, app.config.drainSeconds > 0 {
            poller.stop(draining: true)
            let deadline = DispatchTime.now() + .seconds(app.config.drainSeconds)
            while !poller.isDone, DispatchTime.now() < deadline { usleep(20_000) }
        }
        poller.stop(draining: false)
        group.wait()
        jobs.stop()
        logger.info("worker stopped", metadata: ["served": "\(served)"])
        return 0
    }

    private func acceptLoop(_ poller: ConnectionPoller) {
        let app: App
        do {
            app = try self.app.forRequestThread()
        } catch {
            logger.error("no read connection of the thread's own; reading through the shared pool", metadata: ["error": "\(error)"])
            app = self.app
        }
        app.store.holdingOwnReader {
            serving: while true {
                let slot: ConnectionPoller.Slot
                switch poller.next() {
                case .stop: break serving
                case .interrupted: continue serving
                case .newConnection:
                    slot = poller.freeSlot()
                case .input(let kept):
                    slot = kept
                }
                // Accepts a new connection, or reads the next request on a kept one. A kept connection the
                // web server has closed ends here (libfcgi closes it, and finds no listener to accept on).
                guard FCGX_Accept_r(slot.request) >= 0 else {
                    poller.release(slot)
                    continue serving
                }
                serve(&slot.request.pointee, app: app)
                Self.closeAtOnceIfInputEnded(&slot.request.pointee)
                FCGX_Finish_r(slot.request)
                poller.requestEnded(slot)
                if countServed() {
                    // At the recycle limit: no new connections here; kept ones are drained as in a reload.
                    poller.stopAccepting()
                    kill(getpid(), SIGQUIT)
                }
            }
        }
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

    private func serve(_ request: inout FCGX_Request, app: App) {
        var validUTF8 = true
        var count = 0
        if var entry = request.envp { while entry.pointee != nil { count += 1; entry += 1 } }
        // Sized once: growing a dictionary of some twenty params rehashed it several times per request.
        var params = [String: String](minimumCapacity: count)
        if var entry = request.envp {
            while let pointer = entry.pointee {
                entry += 1
                // NAME=value, split at the first "=" in the C string; each half becomes a String once.
                guard let equals = strchr(pointer, Int32(UInt8(ascii: "="))) else { continue }
                let name = UnsafeRawBufferPointer(start: pointer, count: pointer.distance(to: equals))
                // Raw bytes that are not UTF-8 (a path sent unencoded) are refused, not repaired.
                guard let key = String(validating: name, as: UTF8.self), let value = String(validatingCString: equals + 1) else {
                    validUTF8 = false
                    continue
                }
                params[key] = value
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

extension App {
    /// The answer to a request whose body could not be read (too large, cut short).
    public func respond(params: [String: String], rejecting error: HTTPError) -> Response {
        var params = params
        params["CONTENT_LENGTH"] = "0"
        // Route through the normal error path so the page, headers and logging are the usual ones.
        return respond(params: params, body: [], forcedError: error)
    }
}
