import Domain
import Foundation
import GRDB
import Platform
import Store

/// The school: a syllabus per level, lesson pages whose exercises are generated per student by a
/// background job (its progress pushed, never polled), and a tutor that checks answers over the
/// page's WebSocket (ws-send) or by a plain form post.
extension App {
    static let exercisesPerSet = 5

    /// A student's private channel for one lesson: progress, chat and the current task, in every tab.
    static func lessonTopic(_ lessonID: String, userID: Int64) -> String { "lesson:\(userID):\(lessonID)" }

    static func lessonJobKey(_ lessonID: String, userID: Int64) -> String { "lesson:\(userID):\(lessonID)" }

    func syllabus() throws -> Syllabus { try school.syllabus() }

    /// Parses every template and lesson now (what `check-config` verifies); returns the number of lessons.
    public func preloadContent() throws -> Int {
        try views.preload()
        return try syllabus().lessons.count
    }

    func level(of user: User?, _ db: Database) throws -> SchoolLevel {
        guard let user else { return .beginner }
        return try Store.schoolLevel(db, userID: user.id).flatMap(SchoolLevel.init(rawValue:)) ?? .beginner
    }

    // MARK: Pages

    func lessonsPage(_ context: RequestContext) throws -> Response {
        let syllabus = try syllabus()
        let (current, progress) = try store.read { db in
            (try level(of: context.user, db), try context.user.map { try Store.lessonProgress(db, userID: $0.id) } ?? [:])
        }
        let levels = SchoolLevel.allCases.map { level -> [String: Any] in
            [
                "name": level.displayName, "current": level == current,
                "lessons": syllabus.lessons(in: level).map { lesson -> [String: Any] in
                    let (solved, total) = progress[lesson.id] ?? (0, 0)
                    return ["path": Route.lesson(lesson.id).path, "number": lesson.number, "title": lesson.title,
                            "summary": lesson.summary, "progress": total > 0 ? "\(solved) of \(total) solved" : ""]
                },
            ]
        }
        return try page("pages/lessons", context, title: "School", values: ["levels": levels, "current_level": current.displayName])
    }

    func lessonPage(_ context: RequestContext, id: String) throws -> Response {
        guard let user = context.user else { return signInFirst(context) }
        let lesson = try lesson(id)
        let topic = Self.lessonTopic(lesson.id, userID: user.id)
        let (values, latest) = try store.read { db -> ([String: Any], Int64) in
            let latest = try Outbox.latestID(db)
            var values = try lessonValues(db, lesson: lesson, user: user, csrfToken: context.csrfToken)
            values["chat"] = try Store.tutorMessages(db, userID: user.id, lessonID: lesson.id).map {
                ["line": LessonViews.chatLine(id: $0.id, role: $0.role, body: $0.html, appended: false)]
            }
            return (values, latest)
        }
        var all = values
        all["levels"] = SchoolLevel.allCases.map { ["value": $0.rawValue, "name": $0.displayName, "current": $0 == lesson.level] }
        return try page("pages/lesson", context, title: lesson.title, values: all, topics: [topic], latestID: latest)
    }

    /// Everything of the lesson page that depends on the student's state.
    private func lessonValues(_ db: Database, lesson: Lesson, user: User, csrfToken: String) throws -> [String: Any] {
        let syllabus = try syllabus()
        var values: [String: Any] = [
            "lesson": [
                "id": lesson.id, "title": lesson.title, "summary": lesson.summary, "number": lesson.number,
                "level": lesson.level.displayName, "ruleset": lesson.ruleset.displayName, "html": lesson.html,
                "generate_path": Route.lessonGenerate(lesson.id).path, "level_path": Route.lessonLevel(lesson.id).path,
                "tutor_path": Route.lessonTutor(lesson.id).path, "has_exercises": lesson.exercise != .none,
            ] as [String: Any],
            "csrf_token": csrfToken,
        ]
        if let next = syllabus.next(after: lesson) { values["next_lesson"] = ["path": Route.lesson(next.id).path, "title": next.title] }
        values["exercise_set"] = try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: csrfToken, oob: false)
        values["active_task"] = try activeTaskHTML(db, lesson: lesson, user: user, csrfToken: csrfToken, oob: false)
        return values
    }

    private func lesson(_ id: String) throws -> Lesson {
        guard let lesson = try syllabus().lesson(id: id) else { throw HTTPError(.notFound, "There is no lesson \(id.prefix(60)).") }
        return lesson
    }

    // MARK: The exercise set and its generation

    /// `#exercise-set`: the student's exercises, or where their generation is.
    func exerciseSetHTML(_ db: Database, lesson: Lesson, user: User, csrfToken: String, oob: Bool,
                         progress: (done: Int, of: Int)? = nil) throws -> String {
        var values: [String: Any] = ["oob": oob, "csrf_token": csrfToken, "generate_path": Route.lessonGenerate(lesson.id).path]
        let exercises = try Store.exercises(db, userID: user.id, lessonID: lesson.id)
        let job = try Jobs.latestJob(db, uniqueKey: Self.lessonJobKey(lesson.id, userID: user.id))
        if lesson.exercise == .none {
            values["reading"] = true
        } else if let job, job.isActive {
            let (done, total) = progress ?? (0, Self.exercisesPerSet)
            values["preparing"] = ["done": done, "total": total, "percent": total > 0 ? done * 100 / total : 0,
                                   "retrying": job.attempts > 1 || job.error != nil, "error": job.error ?? ""]
        } else if exercises.isEmpty, let job, job.state == .failed {
            values["failed"] = ["error": job.error ?? "The exercises could not be prepared."]
        } else if exercises.isEmpty {
            values["missing"] = true
        } else {
            let solved = exercises.filter { $0.state == .solved }.count
            values["ready"] = [
                "solved": solved, "total": exercises.count,
                "items": exercises.map { exercise -> [String: Any] in
                    ["position": exercise.position, "state": exercise.state.rawValue,
                     "label": exercise.state == .solved ? "solved" : exercise.state == .skipped ? "skipped" : "to do"]
                },
                "finished": !exercises.contains { $0.state == .open },
            ]
        }
        return try views.render("partials/exercise_set", values)
    }

    /// `#active-task-area`: the first open exercise, with its board.
    func activeTaskHTML(_ db: Database, lesson: Lesson, user: User, csrfToken: String, oob: Bool) throws -> String {
        var values: [String: Any] = ["oob": oob, "csrf_token": csrfToken, "tutor_path": Route.lessonTutor(lesson.id).path]
        let exercises = try Store.exercises(db, userID: user.id, lessonID: lesson.id)
        if let current = exercises.first(where: { $0.state == .open }), let exercise = Exercise.decode(current.puzzle) {
            values["task"] = ["position": current.position, "total": exercises.count, "question": exercise.question,
                              "board": LessonViews.exerciseBoard(exercise), "difficulty": exercise.difficulty,
                              "ruleset": exercise.rules.displayName]
        }
        return try views.render("partials/active_task", values)
    }

    /// `hx-post` with `hx-trigger="load"` from a lesson page without exercises: starts (or joins) the
    /// student's generation job and answers with its progress; the job pushes the rest.
    func lessonGenerate(_ context: RequestContext, id: String) throws -> Response {
        let user = try requireUser(context)
        let lesson = try lesson(id)
        guard lesson.exercise != .none else { throw HTTPError(.conflict, "This lesson is for reading; it has no exercises.") }
        let html = try store.publishing { db -> String in
            let open = try Store.exercises(db, userID: user.id, lessonID: lesson.id).contains { $0.state == .open }
            if !open {
                let payload = LessonJobPayload(user: user.id, lesson: lesson.id, count: Self.exercisesPerSet,
                                               seed: UInt64.random(in: 1...UInt64.max >> 1))
                _ = try enqueueJob(db, .lessonExercises, payload: payload.json,
                                   uniqueKey: Self.lessonJobKey(lesson.id, userID: user.id), maxAttempts: 3)
            }
            return try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: context.csrfToken, oob: true)
        }
        if context.request.htmx.isHTMX { return Response.html(html).reswap(.none) }
        return .redirect(to: Route.lesson(lesson.id).path + "#exercise-set", for: context.request)
    }

    /// The change-difficulty button: the student's level changes and the answer sends them, by
    /// `HX-Redirect`, to the same lesson in the new level's syllabus.
    func lessonLevel(_ context: RequestContext, id: String) throws -> Response {
        let user = try requireUser(context)
        let lesson = try lesson(id)
        guard let level = SchoolLevel(rawValue: context.field("level")) else {
            throw HTTPError(.unprocessableContent, "Choose beginner, intermediate or advanced.")
        }
        guard let target = try syllabus().counterpart(of: lesson, in: level) else {
            throw HTTPError(.conflict, "The \(level.displayName) syllabus has no lessons yet.")
        }
        try store.write { db in try Store.setSchoolLevel(db, userID: user.id, level: level.rawValue) }
        let path = Route.lesson(target.id).path
        return context.request.htmx.isHTMX ? .clientRedirect(path) : .redirect(to: path, for: context.request)
    }
}

/// What a lesson-exercises job needs.
struct LessonJobPayload: Codable {
    var user: Int64
    var lesson: String
    var count: Int
    var seed: UInt64

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
}

extension SchoolLevel {
    /// The puzzle difficulties (1–5) a level draws from.
    var difficulties: ClosedRange<Int> {
        switch self {
        case .beginner: 1...2
        case .intermediate: 2...3
        case .advanced: 3...5
        }
    }
}
