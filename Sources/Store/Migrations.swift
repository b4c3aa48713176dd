import GRDB

/// The schema, as an ordered list of migrations. Never edit a shipped migration: add one.
enum Migrations {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_accounts") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    display_name TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_login_at INTEGER
                );
                CREATE TABLE sessions (
                    id_hash BLOB PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    last_seen_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    user_agent TEXT NOT NULL DEFAULT '',
                    ip TEXT NOT NULL DEFAULT ''
                ) WITHOUT ROWID;
                CREATE INDEX sessions_user ON sessions(user_id);
                CREATE INDEX sessions_expiry ON sessions(expires_at);
                CREATE TABLE login_failures (
                    id INTEGER PRIMARY KEY,
                    scope TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                CREATE INDEX login_failures_scope ON login_failures(scope, at);
                """)
        }
        migrator.registerMigration("002_games") { db in
            // The arena's game record; seed-demo creates benchmark games in it.
            try db.execute(sql: """
                CREATE TABLE games (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    black_id INTEGER NOT NULL REFERENCES users(id),
                    white_id INTEGER NOT NULL REFERENCES users(id),
                    ruleset TEXT NOT NULL DEFAULT 'freestyle',
                    board_size INTEGER NOT NULL DEFAULT 15,
                    status TEXT NOT NULL DEFAULT 'active',
                    result TEXT,
                    move_count INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX games_black ON games(black_id, status);
                CREATE INDEX games_white ON games(white_id, status);
                """)
        }
        return migrator
    }()
}
