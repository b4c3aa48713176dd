import Platform
import Foundation
import Logging
import Store

/// The PHP-FPM-style master: owns the listening socket, keeps `workers` worker processes on it,
/// replaces any that die, reloads on SIGHUP (a new generation starts, the old one finishes its
/// requests and exits) and on SIGTERM/SIGINT stops accepting, lets workers drain and exits. It also
/// checkpoints the database's WAL in the background (`WALCheckpointer`), which its workers leave to it.
public final class Master {
    public struct Options: Sendable {
        public var workers: Int
        public var threads: Int
        public var maxRequests: Int
        /// Seconds to wait for draining workers before killing them.
        public var shutdownTimeout: Double = 30
        public init(workers: Int, threads: Int, maxRequests: Int) {
            self.workers = workers
            self.threads = threads
            self.maxRequests = maxRequests
        }
    }

    private struct Worker { let generation: Int; let started: Double }

    private let listenFD: Int32
    private let socketPath: String?
    private var options: Options
    /// Produces the environment for a new generation of workers (re-reading the config file on reload).
    private let environment: () throws -> [String: String]
    private let store: Store
    private var workerEnvironment: [String: String] = [:]
    private var workers: [pid_t: Worker] = [:]
    private var generation = 0
    private var pendingSpawns: [Double] = []
    private var quickDeaths = 0
    private let logger = Logger(label: "gomoku.master")

    public init(listenFD: Int32, socketPath: String?, options: Options, store: Store,
                environment: @escaping () throws -> [String: String]) {
        self.listenFD = listenFD
        self.store = store
        self.socketPath = socketPath
        self.options = options
        self.environment = environment
    }

    public func run() throws -> Int32 {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT] { sigaddset(&signals, signal) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
        workerEnvironment = try environment()
        let logger = logger
        WALCheckpointer(store: store) { error in
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }.start()
        for _ in 0..<options.workers { spawn() }
        logger.notice("master ready", metadata: ["workers": "\(options.workers)", "threads": "\(options.threads)",
                                                 "listen": "\(socketPath ?? "fd \(listenFD)")"])
        while true {
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let received = sigtimedwait(&signals, &info, &timeout)
            switch received {
            case SIGCHLD: reap()
            case SIGHUP: reload()
            case SIGTERM, SIGINT, SIGQUIT: return shutdown()
            default: break
            }
            spawnDue()
        }
    }

    private func now() -> Double { Date().timeIntervalSince1970 }

    /// Starts one worker of the current generation; false when the program could not be started.
    @discardableResult
    private func spawn() -> Bool {
        let executable = Config.executablePath()
        let arguments = [executable, "worker", "--threads", String(options.threads), "--max-requests", String(options.maxRequests),
                         "--parent-pid", String(getpid())]
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        // FastCGI's convention: the listening socket is the worker's fd 0.
        posix_spawn_file_actions_adddup2(&fileActions, listenFD, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Stop signals blocked from the start: one that arrives while the worker starts up waits for
        // its `sigwait` instead of killing it half-started or reaching a thread that does not block it.
        var blocked = FastCGIWorker.stopSignalSet
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &blocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = workerEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard status == 0 else {
            logger.error("cannot start a worker", metadata: ["error": "\(String(cString: strerror(status)))", "program": "\(executable)"])
            pendingSpawns.append(now() + 1)
            return false
        }
        workers[pid] = Worker(generation: generation, started: now())
        logger.info("worker started", metadata: ["worker_pid": "\(pid)", "generation": "\(generation)"])
        return true
    }

    private func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let worker = workers.removeValue(forKey: pid) else { continue }
            let exitedNormally = (status & 0x7f) == 0
            let detail = exitedNormally ? "exit \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
            guard worker.generation == generation else {
                logger.info("old worker finished", metadata: ["worker_pid": "\(pid)", "how": "\(detail)"])
                continue
            }
            // A clean exit is a recycle (max-requests); anything else is a death worth a warning.
            let lived = now() - worker.started
            if exitedNormally && (status >> 8) & 0xff == 0 {
                logger.info("worker recycled", metadata: ["worker_pid": "\(pid)"])
                quickDeaths = 0
                spawn()
            } else {
                logger.warning("worker died; replacing it", metadata: ["worker_pid": "\(pid)", "how": "\(detail)"])
                quickDeaths = lived < 2 ? quickDeaths + 1 : 0
                // A worker that keeps dying at start (bad config, broken database) is retried with backoff.
                let delay = quickDeaths == 0 ? 0 : min(10, 0.1 * pow(2, Double(quickDeaths)))
                pendingSpawns.append(now() + delay)
            }
        }
    }

    private func spawnDue() {
        let due = pendingSpawns.filter { $0 <= now() }
        pendingSpawns.removeAll { $0 <= now() }
        for _ in due where workers.values.filter({ $0.generation == generation }).count < options.workers { spawn() }
    }

    private func reload() {
        do {
            workerEnvironment = try environment()
        } catch {
            logger.error("reload refused: configuration is invalid; keeping the running workers", metadata: ["error": "\(error)"])
            return
        }
        let old = workers.filter { $0.value.generation == generation }.map(\.key)
        generation += 1
        let savedSpawns = pendingSpawns
        pendingSpawns.removeAll()
        logger.notice("reloading", metadata: ["generation": "\(generation)"])
        var started: [pid_t] = []
        for _ in 0..<options.workers {
            let before = Set(workers.keys)
            guard spawn() else { break }
            started += workers.keys.filter { !before.contains($0) }
        }
        guard started.count == options.workers else {
            // The new program cannot start: keep serving with the old generation.
            logger.error("reload failed: new workers could not be started; the running workers stay")
            for pid in started { kill(pid, SIGQUIT) }
            generation -= 1
            pendingSpawns = savedSpawns
            return
        }
        quickDeaths = 0
        // The new generation is accepting on the same socket; the old one finishes what it has.
        for pid in old { kill(pid, SIGQUIT) }
    }

    private func shutdown() -> Int32 {
        logger.notice("shutting down; waiting for in-flight requests", metadata: ["workers": "\(workers.count)"])
        if let socketPath { unlink(socketPath) }
        for pid in workers.keys { kill(pid, SIGTERM) }
        close(listenFD)
        let deadline = now() + options.shutdownTimeout
        while !workers.isEmpty && now() < deadline {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 { workers.removeValue(forKey: pid) } else { usleep(20_000) }
        }
        for pid in workers.keys {
            logger.warning("worker did not finish in time; killing it", metadata: ["worker_pid": "\(pid)"])
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        logger.notice("stopped")
        return 0
    }
}
