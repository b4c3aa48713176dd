import Domain
import Foundation
import GRDB
import Platform
import Store

/// The tutor's side of the lesson chat and the job that prepares a student's exercises. Both publish
/// to the student's lesson topic, so every tab of theirs shows the same chat and task.
extension App {
    /// A chat message or a click on the exercise board: through the bridge (ws-send), by htmx, or as a
    /// plain form post without JavaScript.
    func lessonTutor(_ context: RequestContext, id: String) throws -> Response {
        let user = try requireUser(context)
        guard let lesson = try syllabus().lesson(id: id) else { throw HTTPError(.notFound, "There is no lesson \(id.prefix(60)).") }
        let text = context.field("message").trimmingWhitespace()
        guard !text.isEmpty else { throw HTTPError(.unprocessableContent, "Write a point like h8, or ask for a hint.") }
        guard text.count <= 200 else { throw HTTPError(.unprocessableContent, "Messages to the tutor have at most 200 characters.") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HTTPError(.badRequest, "The message contains control characters.")
        }
        let topic = Self.lessonTopic(lesson.id, userID: user.id)
        // 1. The student's line and the tutor's first words, at once.
        let opened = try store.publishing { db -> (exercise: LessonExercise, verdict: TutorVerdict, replyID: Int64, opening: String)? in
            let studentHTML = LessonViews.paragraph(text)
            let studentID = try Store.addTutorMessage(db, userID: user.id, lessonID: lesson.id, role: "student", html: studentHTML)
            var html = LessonViews.chatLine(id: studentID, role: "student", body: studentHTML, appended: true)
            let current = try Store.exercises(db, userID: user.id, lessonID: lesson.id).first { $0.state == .open }
            guard let current, let exercise = Exercise.decode(current.puzzle) else {
                let reply = LessonViews.paragraph(lesson.exercise == .none
                    ? "This lesson is for reading; the next one has exercises."
                    : "You have no open exercise. Ask for a new set with the button above the board.")
                let replyID = try Store.addTutorMessage(db, userID: user.id, lessonID: lesson.id, role: "tutor", html: reply)
                html += LessonViews.chatLine(id: replyID, role: "tutor", body: reply, appended: true)
                try Outbox.publish(db, topic: topic, html: html, toUser: user.id)
                return nil
            }
            let verdict = Tutor.judge(StudentMessage(text), exercise: exercise, hintsUsed: current.hints)
            let opening = LessonViews.paragraph(verdict.opening)
            let replyID = try Store.addTutorMessage(db, userID: user.id, lessonID: lesson.id, role: "tutor", html: opening)
            html += LessonViews.chatLine(id: replyID, role: "tutor", body: opening, appended: true)
            try Outbox.publish(db, topic: topic, html: html, toUser: user.id)
            return (current, verdict, replyID, opening)
        }
        if let opened {
            // 2. The engine's analysis, each part pushed as soon as it is composed.
            var whole = opened.opening
            for part in opened.verdict.analysis() where !part.isEmpty {
                let html = LessonViews.paragraph(part)
                whole += html
                try store.publishing { db in
                    try Store.updateTutorMessage(db, id: opened.replyID, html: whole)
                    try Outbox.publish(db, topic: topic, html: LessonViews.chatContinuation(id: opened.replyID, body: html), toUser: user.id)
                }
            }
            // 3. The exercise's new state, and the next task.
            try store.publishing { db in
                let exercise = opened.exercise
                let state: LessonExercise.State = switch opened.verdict.outcome {
                case .solved: .solved
                case .skipped: .skipped
                default: .open
                }
                let hints = exercise.hints + (opened.verdict.outcome == .hint ? 1 : 0)
                let tries = exercise.tries + (opened.verdict.outcome == .wrong ? 1 : 0)
                try Store.updateExercise(db, id: exercise.id, state: state, hints: hints, tries: tries)
                guard state != .open else { return }
                var html = try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true)
                html += try activeTaskHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true)
                let remaining = try Store.exercises(db, userID: user.id, lessonID: lesson.id).filter { $0.state == .open }.count
                let next = remaining > 0 ? "On to the next one." : "That was the last exercise of this set. Well done!"
                let nextHTML = LessonViews.paragraph(next)
                try Store.updateTutorMessage(db, id: opened.replyID, html: try Store.tutorMessageHTML(db, id: opened.replyID) + nextHTML)
                html += LessonViews.chatContinuation(id: opened.replyID, body: nextHTML)
                try Outbox.publish(db, topic: topic, html: html, toUser: user.id)
            }
        }
        if context.bridge != nil || context.request.htmx.isHTMX {
            // Every tab, this one included, gets the chat by push; the sender's form is only cleared.
            return Response.html(try views.render("partials/tutor_form", ["oob": true, "tutor_path": Route.lessonTutor(lesson.id).path]))
                .reswap(.none)
        }
        return .redirect(to: Route.lesson(lesson.id).path + "#chat-history", for: context.request)
    }

    /// The lesson-exercises job: builds the student's set one puzzle at a time, pushing progress.
    func generateLessonExercises(_ context: JobContext) throws {
        let payload = try context.payload(LessonJobPayload.self)
        guard let lesson = try syllabus().lesson(id: payload.lesson), let kind = PuzzleKind(rawValue: lesson.exercise.rawValue) else {
            throw JobFailure("That lesson has no exercises.", permanent: true)
        }
        guard let user = try store.read({ db in try Store.userByID(db, payload.user) }) else {
            throw JobFailure("The student no longer exists.", permanent: true)
        }
        let topic = Self.lessonTopic(lesson.id, userID: user.id)
        let count = max(1, min(payload.count, 10))
        var seed = SplitMix64(seed: payload.seed &+ UInt64(context.job.attempts))
        var found: [Puzzle] = []
        var keys = Set(try store.read { db in try Store.exercises(db, userID: user.id, lessonID: lesson.id) }
            .compactMap { Exercise.decode($0.puzzle)?.key })
        let difficulties = Array(lesson.level.difficulties)
        var attempts = 0
        while found.count < count, attempts < count * 4 {
            attempts += 1
            // The set gets harder as it goes; later attempts accept any difficulty rather than come back short.
            let wanted = attempts <= count * 2 ? difficulties[min(found.count * difficulties.count / count, difficulties.count - 1)] : nil
            let request = PuzzleRequest(kind: kind, ruleset: lesson.ruleset, count: 1, difficulty: wanted, seed: seed.next())
            guard let puzzle = PuzzleGenerator.generate(request).first, keys.insert(puzzle.canonicalKey).inserted else { continue }
            found.append(puzzle)
            try context.publishing { db in
                let html = try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true, progress: (found.count, count))
                try Outbox.publish(db, topic: topic, html: html, toUser: user.id)
            }
        }
        guard !found.isEmpty else { throw JobFailure("No exercise of this kind could be built this time; trying again.") }
        try context.finish(result: "\(found.count) exercises") { db in
            try Store.addExercises(db, userID: user.id, lessonID: lesson.id, puzzles: found.map { Exercise($0).json })
            var html = try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true)
            html += try activeTaskHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true)
            try Outbox.publish(db, topic: topic, html: html, toUser: user.id)
        }
    }

    /// A generation that gave up tells the page, whose error fragment retries by itself.
    func lessonExercisesFailed(_ job: Job, willRetry: Bool) throws {
        guard let payload = try? JSONDecoder().decode(LessonJobPayload.self, from: Data(job.payload.utf8)),
              let lesson = try syllabus().lesson(id: payload.lesson) else { return }
        try store.publishing { db in
            guard let user = try Store.userByID(db, payload.user) else { return }
            let html = try exerciseSetHTML(db, lesson: lesson, user: user, csrfToken: "", oob: true)
            try Outbox.publish(db, topic: Self.lessonTopic(lesson.id, userID: user.id), html: html, toUser: user.id)
        }
    }
}
