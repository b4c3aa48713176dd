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
        migrator.registerMigration("003_outbox") { db in
            // AUTOINCREMENT: ids are never reused, so a reader's `id > cursor` can never skip a committed row.
            try db.execute(sql: """
                CREATE TABLE notifications (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    html TEXT NOT NULL,
                    user_id INTEGER,
                    connection_id TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX notifications_created ON notifications(created_at);
                CREATE INDEX notifications_topic ON notifications(topic, id);
                CREATE TABLE outbox_state (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO outbox_state (key, value) VALUES ('trimmed_through', 0);
                CREATE TABLE presence (
                    connection_id TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    user_id INTEGER,
                    joined_at INTEGER NOT NULL,
                    PRIMARY KEY (connection_id, topic)
                ) WITHOUT ROWID;
                CREATE INDEX presence_topic ON presence(topic);
                CREATE TABLE live_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    body TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("004_moves") { db in
            // One row per stone; the primary key makes a second stone with the same number impossible.
            try db.execute(sql: """
                CREATE INDEX games_listing ON games(status, updated_at);
                CREATE TABLE moves (
                    game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    row INTEGER NOT NULL,
                    col INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (game_id, number)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("005_friends_challenges") { db in
            // One row per pair of users (low id first), whoever asked.
            try db.execute(sql: """
                CREATE TABLE friendships (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_low INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    user_high INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    requester_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (user_low, user_high),
                    CHECK (user_low < user_high)
                );
                CREATE INDEX friendships_high ON friendships(user_high, status);
                CREATE TABLE challenges (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    to_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    ruleset TEXT NOT NULL,
                    board_size INTEGER NOT NULL,
                    colour TEXT NOT NULL CHECK (colour IN ('black', 'white', 'random')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
                    game_id INTEGER REFERENCES games(id),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                CREATE INDEX challenges_to ON challenges(to_id, status);
                CREATE INDEX challenges_from ON challenges(from_id, status);
                """)
        }
        migrator.registerMigration("006_jobs") { db in
            // A job is claimed by setting a lease; a lease that runs out (its worker died) makes the
            // job claimable again. Only one queued or running job may hold a given unique_key.
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL DEFAULT '{}',
                    unique_key TEXT,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL DEFAULT 5,
                    run_after INTEGER NOT NULL,
                    lease_owner TEXT,
                    lease_until INTEGER,
                    result TEXT,
                    error TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX jobs_queued ON jobs(run_after) WHERE state = 'queued';
                CREATE INDEX jobs_leases ON jobs(lease_until) WHERE state = 'running';
                CREATE UNIQUE INDEX jobs_unique_active ON jobs(unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
                CREATE INDEX jobs_finished ON jobs(updated_at) WHERE state IN ('done', 'failed');
                """)
        }
        migrator.registerMigration("007_challenge_expiry", foreignKeyChecks: .deferred) { db in
            // SQLite cannot widen a CHECK in place: the table is rebuilt with the 'expired' status.
            try db.execute(sql: """
                CREATE TABLE challenges_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    to_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    ruleset TEXT NOT NULL,
                    board_size INTEGER NOT NULL,
                    colour TEXT NOT NULL CHECK (colour IN ('black', 'white', 'random')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
                    game_id INTEGER REFERENCES games(id),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                INSERT INTO challenges_new SELECT * FROM challenges;
                DROP TABLE challenges;
                ALTER TABLE challenges_new RENAME TO challenges;
                CREATE INDEX challenges_to ON challenges(to_id, status);
                CREATE INDEX challenges_from ON challenges(from_id, status);
                CREATE INDEX challenges_pending_expiry ON challenges(expires_at) WHERE status = 'pending';
                """)
        }
        migrator.registerMigration("008_school") { db in
            try db.execute(sql: """
                CREATE TABLE school_levels (
                    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                    level TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE lesson_exercises (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    lesson_id TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    puzzle TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('open', 'solved', 'skipped')),
                    hints INTEGER NOT NULL DEFAULT 0,
                    tries INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    UNIQUE (user_id, lesson_id, position)
                );
                CREATE TABLE tutor_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    lesson_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('student', 'tutor')),
                    html TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX tutor_messages_lesson ON tutor_messages(user_id, lesson_id, id);
                """)
        }
        migrator.registerMigration("009_api_tokens") { db in
            // Only the SHA-256 of a token is kept: a leaked database does not leak working tokens.
            try db.execute(sql: """
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    token_hash BLOB NOT NULL UNIQUE,
                    device_name TEXT NOT NULL,
                    device_info TEXT NOT NULL DEFAULT '{}',
                    created_at INTEGER NOT NULL,
                    last_used_at INTEGER,
                    expires_at INTEGER NOT NULL
                );
                CREATE INDEX api_tokens_user ON api_tokens(user_id);
                CREATE INDEX api_tokens_expiry ON api_tokens(expires_at);
                """)
        }
        migrator.registerMigration("010_notifications_trimmed_by_id") { db in
            // Trimming walks the ids (see `trimNotifications`); this index cost every publish a page of WAL.
            try db.execute(sql: "DROP INDEX notifications_created")
        }
        migrator.registerMigration("011_notification_times_in_microseconds") { db in
            // The bridge's commit → frame histogram starts at this time; whole milliseconds made every
            // figure up to a millisecond late (half of one on average), against sub-millisecond buckets.
            try db.execute(sql: """
                ALTER TABLE notifications RENAME COLUMN created_at TO created_us;
                UPDATE notifications SET created_us = created_us * 1000;
                """)
        }
        migrator.registerMigration("012_notifications_replayed_by_id") { db in
            // A move's four notifications have four topics, so this index cost every move three to five
            // pages of WAL (of eight to eleven); a replay walks its id range instead (see `replay`).
            try db.execute(sql: "DROP INDEX notifications_topic")
        }
        return migrator
    }()
}
