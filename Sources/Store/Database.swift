import Foundation
import GRDB

/// The shared SQLite file: WAL, a busy timeout so several processes can write, foreign keys on.
public struct Store: Sendable {
    /// A pool (one writer, concurrent readers) or a single connection; see `Connections`. Other modules go
    /// through `read`, `unsafeRead`, `write` and `publishing`, so no read passes a thread's own connection by.
    let database: any DatabaseWriter
    /// The database file.
    public let path: String
    /// A read-only connection of one thread's own (see `withOwnReader`), used by `read` and `unsafeRead`
    /// instead of `database`.
    private let ownReader: DatabaseQueue?
    /// The own reader's open transaction, when `readLeavingOpen` left one (see there).
    private let ownReaderState: OwnReaderState?
    private let configuration: Configuration

    /// Who copies the write-ahead log back into the database file (a checkpoint).
    public enum Checkpoints: Sendable {
        /// SQLite's default: the commit that takes the log past 1,000 pages does it, inside its request.
        case onCommit
        /// Another connection does it (a `WALCheckpointer`, or the app's commits for the bridge); a commit
        /// here does it only as a backstop, when the log has grown past `backstopPages`.
        case inBackground
    }
    /// 40 MB of log: far more than a checkpointer running every fraction of a second lets build up.
    public static let backstopPages = 10_000

    /// How many connections this process opens.
    public enum Connections: Sendable {
        /// A writer and readers that run beside it: every long-running process.
        case pool
        /// One connection for reads and writes: a CGI process, which answers one request and exits. A pool
        /// would also open a reader and, on opening, check the write-ahead log's size through Foundation's
        /// URL resource values — about 1.5 ms of a cold request.
        case single
    }

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String, migrate: Bool = true, checkpoints: Checkpoints = .onCommit, connections: Connections = .pool) throws {
        var config = Configuration()
        // Several worker processes and the bridge share the file. SQLite's own busy timeout sleeps in
        // steps of up to 100 ms, which under load becomes the latency; retry every 50–500 µs instead,
        // for up to about 10 s.
        config.busyMode = .callback { tries in
            usleep(useconds_t(min(500, 50 + tries * 10)))
            return tries < 25_000
        }
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL")
            if checkpoints == .inBackground { try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.backstopPages)") }
        }
        self.path = path
        configuration = config
        ownReader = nil
        ownReaderState = nil
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        switch connections {
        case .pool: database = try DatabasePool(path: path, configuration: config)
        case .single:
            database = try DatabaseQueue(path: path, configuration: config)
            // A no-op on a file in WAL mode; a new file (a CGI install whose first request creates it)
            // starts in it, so later pools and CGI processes share it the same way.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        }
        if migrate { try Migrations.migrator.migrate(database) }
    }

    private init(copying store: Store, ownReader: DatabaseQueue) {
        database = store.database
        path = store.path
        configuration = store.configuration
        self.ownReader = ownReader
        ownReaderState = OwnReaderState()
    }

    /// This store with a read-only connection of its own for `read` and `unsafeRead`, for one thread that
    /// answers requests. A pool hands its readers out through one serial queue and a lock: a FastCGI
    /// worker's request threads queued there for every read (context switches, and a key path built on
    /// each hand-out). Writes still go through `database`, whose one writer serialises them in-process.
    public func withOwnReader() throws -> Store {
        var readOnly = configuration
        readOnly.readonly = true
        readOnly.label = "own reader"
        // `readLeavingOpen` leaves a read transaction open from one access to the next, on purpose.
        readOnly.allowsUnsafeTransactions = true
        return Store(copying: self, ownReader: try DatabaseQueue(path: path, configuration: readOnly))
    }

    /// Reads in one transaction (one snapshot), on this store's own reader when it has one — the
    /// transaction `readLeavingOpen` left open, if there is one.
    public func read<T>(_ value: (Database) throws -> T) throws -> T {
        try readOnOwnReader(leavingOpen: false, memoizedAs: nil, value)
    }

    /// Reads like `read`, but on this store's own reader keeps what `value` returned under `key` for as
    /// long as the database stays as it is: until any connection — another thread's, another worker's,
    /// the bridge's — commits a change, which SQLite's `data_version` tells at the start of each read
    /// transaction. Between two commits, the next read under `key` on this thread costs a dictionary
    /// lookup instead of its queries: a game page read by its players and spectators between two moves.
    /// So `value` must depend on nothing but the rows it reads, and `key` must say everything that
    /// selects them (one key type per kind of read). Without an own reader this is `read`.
    public func read<T>(memoizedAs key: some Hashable, _ value: (Database) throws -> T) throws -> T {
        try readOnOwnReader(leavingOpen: false, memoizedAs: AnyHashable(key), value)
    }

    /// Reads like `read`, but on this store's own reader leaves the transaction open for the next `read`
    /// to continue: a request reads its session first and its page's data next, and one snapshot for both
    /// saves SQLite a read transaction's start and end (taking and dropping a lock on the shared-memory
    /// index) per request. A write, an `unsafeRead` or `endOpenRead` ends it first, so nothing reads past
    /// its own writes or misses a newer commit it asked for.
    public func readLeavingOpen<T>(_ value: (Database) throws -> T) throws -> T {
        try readOnOwnReader(leavingOpen: true, memoizedAs: nil, value)
    }

    /// `readLeavingOpen`, keeping its value as `read(memoizedAs:_:)` does.
    public func readLeavingOpen<T>(memoizedAs key: some Hashable, _ value: (Database) throws -> T) throws -> T {
        try readOnOwnReader(leavingOpen: true, memoizedAs: AnyHashable(key), value)
    }

    private func readOnOwnReader<T>(leavingOpen: Bool, memoizedAs key: AnyHashable?, _ value: (Database) throws -> T) throws -> T {
        guard let ownReader, let ownReaderState else { return try database.read(value) }
        return try ownReader.unsafeReentrantRead { db in
            let continuing = ownReaderState.isOpen && db.isInsideTransaction
            ownReaderState.isOpen = false
            if !continuing { ownReaderState.memoIsCurrent = false }
            let result = try Self.transaction(db, begin: continuing ? nil : "BEGIN", commit: !leavingOpen) {
                try key.map { try ownReaderState.memoized($0, db) { try value(db) } } ?? value(db)
            }
            ownReaderState.isOpen = leavingOpen
            return result
        }
    }

    /// `body` in a transaction begun with `begin` (nil: the one already open goes on), committed when
    /// `commit` says so and rolled back if anything throws, through statements kept on the connection:
    /// GRDB's `read` and `write` parse BEGIN and COMMIT anew for every transaction. GRDB still follows the
    /// transaction through SQLite's hooks, so `afterNextTransaction` callbacks run.
    private static func transaction<T>(_ db: Database, begin: String?, commit: Bool, _ body: () throws -> T) throws -> T {
        if let begin { try db.cachedStatement(sql: begin).execute() }
        do {
            let result = try body()
            if commit { try db.cachedStatement(sql: "COMMIT").execute() }
            return result
        } catch {
            // The block's (or COMMIT's) error is the one to report; a rollback that fails too leaves the next
            // BEGIN to say so.
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            throw error
        }
    }

    /// Ends the transaction `readLeavingOpen` left open, if any: at the end of every request.
    public func endOpenRead() {
        guard let ownReader, let ownReaderState, ownReaderState.isOpen else { return }
        ownReaderState.isOpen = false
        ownReader.unsafeReentrantRead { db in
            if db.isInsideTransaction { try? db.cachedStatement(sql: "COMMIT").execute() }
        }
    }

    /// One statement's read outside a transaction (each statement sees the latest commit), on this
    /// store's own reader when it has one.
    public func unsafeRead<T>(_ value: (Database) throws -> T) throws -> T {
        if let ownReader {
            endOpenRead()
            return try ownReader.unsafeReentrantRead(value)
        }
        return try database.unsafeRead(value)
    }

    /// Runs `body` — a request thread's whole life — inside its own reader's queue, so that each `read`
    /// and `unsafeRead` in it is a direct call instead of a dispatch onto that queue (which nothing else
    /// uses). Without an own reader, just runs `body`.
    public func holdingOwnReader<T>(_ body: () throws -> T) rethrows -> T {
        guard let ownReader else { return try body() }
        return try ownReader.unsafeReentrantRead { _ in try body() }
    }

    /// Writes in one IMMEDIATE transaction, through the one writer every connection of this process shares.
    /// Its result may be ignored, as GRDB's `write`'s may (a change made for its effect alone).
    @discardableResult
    public func write<T>(_ updates: (Database) throws -> T) throws -> T {
        endOpenRead()
        return try database.writeWithoutTransaction { db in
            try Self.transaction(db, begin: "BEGIN IMMEDIATE", commit: true) { try updates(db) }
        }
    }

    /// Whether a process that answered one request may exit without closing the database. Closing as the
    /// last connection out copies the write-ahead log into the database file, syncs both and deletes the
    /// log (which the next process then has to start again); that is needed only when this process changed
    /// rows, or when the log has grown: a new process rebuilds the log's index and cannot tell copied
    /// frames from others, so a log that nobody closes keeps every later writer's frames.
    public func mayExitWithoutClosing(maxLogBytes: Int = 256 * 1024) throws -> Bool {
        let changes = database.writeWithoutTransaction { db in db.totalChangesCount }
        var log = stat()
        let logBytes = stat(path + "-wal", &log) == 0 ? Int(log.st_size) : 0
        return changes == 0 && logBytes <= maxLogBytes
    }

    /// True when every migration this binary knows has been applied.
    public func isMigrated() throws -> Bool {
        try read { db in try Migrations.migrator.hasCompletedMigrations(db) }
    }

    public func migrate() throws { try Migrations.migrator.migrate(database) }

    /// Identifiers of the applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try read { db in try Migrations.migrator.appliedMigrations(db) }
    }
}

/// Whether a request thread's own reader has a transaction open (see `Store.readLeavingOpen`), and the
/// reads it keeps (see `Store.read(memoizedAs:_:)`). Used only by that thread.
final class OwnReaderState: @unchecked Sendable {
    var isOpen = false
    /// Whether `memo` was checked against the open transaction's snapshot.
    var memoIsCurrent = false
    /// `PRAGMA data_version` of the snapshot `memo` was read from.
    private var memoVersion: Int64 = -1
    private var memo: [AnyHashable: Any] = [:]
    /// Enough for the pages one thread serves between two commits; past it the memo starts over.
    static let memoCapacity = 256

    /// The value kept under `key` if the snapshot of the open transaction is the one it was read from,
    /// else `read()`, kept. `data_version` is the snapshot's: SQLite takes it when the transaction starts
    /// reading, and it changes exactly when another connection committed since this one last looked.
    func memoized<T>(_ key: AnyHashable, _ db: Database, _ read: () throws -> T) throws -> T {
        if !memoIsCurrent {
            let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? -1
            if version != memoVersion {
                memo.removeAll(keepingCapacity: true)
                memoVersion = version
            }
            memoIsCurrent = true
        }
        // Unwrapped first: a missing entry cast to an optional T would be a kept nil.
        if let entry = memo[key], let kept = entry as? T { return kept }
        let value = try read()
        if memo.count >= Self.memoCapacity { memo.removeAll(keepingCapacity: true) }
        memo[key] = value
        return value
    }
}

/// Seconds since 1970, the one time unit stored in the database.
public func unixNow() -> Int64 { Int64(Date().timeIntervalSince1970) }

extension Store {
    /// The rows of `sql`, each made into a value while the statement stands on it (see `LiveRow`): these
    /// are the reads every page and every move makes.
    static func records<T>(_ db: Database, _ sql: String, _ arguments: StatementArguments,
                           _ make: (LiveRow) throws -> T) throws -> [T] {
        let cursor = try LiveRowCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var values: [T] = []
        while let statement = try cursor.next() { values.append(try make(LiveRow(statement: statement))) }
        return values
    }

    /// The first row of `sql` made into a value, or nil.
    static func record<T>(_ db: Database, _ sql: String, _ arguments: StatementArguments,
                          _ make: (LiveRow) throws -> T) throws -> T? {
        let cursor = try LiveRowCursor(db.cachedStatement(sql: sql), arguments: arguments)
        return try cursor.next().map { try make(LiveRow(statement: $0)) }
    }
}
