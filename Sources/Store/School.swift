import Foundation
import GRDB

/// One generated exercise of a user's lesson; `puzzle` is the app's JSON description of it.
public struct LessonExercise: Sendable, Equatable {
    public enum State: String, Sendable { case open, solved, skipped }

    public let id: Int64
    public let position: Int
    public let puzzle: String
    public let state: State
    public let hints: Int
    public let tries: Int

    init(row: Row) {
        id = row["id"]; position = row["position"]; puzzle = row["puzzle"]
        state = State(rawValue: row["state"]) ?? .open; hints = row["hints"]; tries = row["tries"]
    }
}

/// A line of a lesson's chat, already rendered.
public struct TutorMessage: Sendable, Equatable {
    public let id: Int64
    public let role: String
    public let html: String

    init(row: Row) { id = row["id"]; role = row["role"]; html = row["html"] }
}

/// The school's SQL: each user's level, their generated exercises per lesson, and the tutor chat.
public extension Store {
    static func schoolLevel(_ db: Database, userID: Int64) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT level FROM school_levels WHERE user_id = ?"), arguments: [userID])
    }

    static func setSchoolLevel(_ db: Database, userID: Int64, level: String) throws {
        try db.execute(sql: """
            INSERT INTO school_levels (user_id, level, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at
            """, arguments: [userID, level, unixNow()])
    }

    static func exercises(_ db: Database, userID: Int64, lessonID: String) throws -> [LessonExercise] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM lesson_exercises WHERE user_id = ? AND lesson_id = ? ORDER BY position"),
                         arguments: [userID, lessonID]).map(LessonExercise.init)
    }

    /// Adds `puzzles` after the user's existing exercises of the lesson.
    static func addExercises(_ db: Database, userID: Int64, lessonID: String, puzzles: [String]) throws {
        let start = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(position), 0) FROM lesson_exercises WHERE user_id = ? AND lesson_id = ?"),
                                     arguments: [userID, lessonID]) ?? 0
        for (offset, puzzle) in puzzles.enumerated() {
            try db.execute(sql: """
                INSERT INTO lesson_exercises (user_id, lesson_id, position, puzzle, state, created_at) VALUES (?, ?, ?, ?, 'open', ?)
                """, arguments: [userID, lessonID, start + offset + 1, puzzle, unixNow()])
        }
    }

    static func updateExercise(_ db: Database, id: Int64, state: LessonExercise.State, hints: Int, tries: Int) throws {
        try db.execute(sql: "UPDATE lesson_exercises SET state = ?, hints = ?, tries = ? WHERE id = ?",
                       arguments: [state.rawValue, hints, tries, id])
    }

    /// The newest `limit` messages of the user's chat in a lesson, oldest first.
    static func tutorMessages(_ db: Database, userID: Int64, lessonID: String, limit: Int = 200) throws -> [TutorMessage] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM (SELECT * FROM tutor_messages WHERE user_id = ? AND lesson_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id
            """), arguments: [userID, lessonID, limit]).map(TutorMessage.init)
    }

    @discardableResult
    static func addTutorMessage(_ db: Database, userID: Int64, lessonID: String, role: String, html: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO tutor_messages (user_id, lesson_id, role, html, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [userID, lessonID, role, html, unixNow()])
        return db.lastInsertedRowID
    }

    /// Replaces a message's text (a reply streamed in parts is stored whole when it is complete).
    /// The HTML of one tutor message ("" when it is gone).
    static func tutorMessageHTML(_ db: Database, id: Int64) throws -> String {
        try String.fetchOne(db.cachedStatement(sql: "SELECT html FROM tutor_messages WHERE id = ?"), arguments: [id]) ?? ""
    }

    /// Per lesson of `userID`: how many exercises are solved, of how many.
    static func lessonProgress(_ db: Database, userID: Int64) throws -> [String: (solved: Int, total: Int)] {
        var progress: [String: (solved: Int, total: Int)] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT lesson_id, SUM(state = 'solved') AS solved, COUNT(*) AS total FROM lesson_exercises WHERE user_id = ? GROUP BY lesson_id
            """), arguments: [userID]) {
            progress[row["lesson_id"]] = (row["solved"], row["total"])
        }
        return progress
    }

    static func updateTutorMessage(_ db: Database, id: Int64, html: String) throws {
        try db.execute(sql: "UPDATE tutor_messages SET html = ? WHERE id = ?", arguments: [html, id])
    }
}
