import Domain
import Foundation
import Ink

/// The school's three levels, easiest first.
enum SchoolLevel: String, CaseIterable, Sendable {
    case beginner, intermediate, advanced

    var displayName: String { rawValue.capitalized }
}

/// What a lesson's generated exercises ask for; `none` is a reading-only lesson.
enum ExerciseKind: String, Sendable, CaseIterable {
    case none, winInOne, vcf, defend, fourThree, forbidden

    /// The question shown above an exercise board.
    var question: String {
        switch self {
        case .none: ""
        case .winInOne: "Find the move that makes five."
        case .vcf: "Find the first move of the winning sequence of fours."
        case .defend: "Find the only move that stops your opponent's win."
        case .fourThree: "Find the move that makes a four and an open three at once."
        case .forbidden: "Find the winning move — mind Black's forbidden points."
        }
    }
}

/// One authored lesson: `content/school/<level>/<NN>-<slug>.md`, its metadata header, and its body
/// rendered to HTML once.
struct Lesson: Sendable {
    /// `<level>-<slug>`, the lesson's address: /lessons/<id>/.
    let id: String
    let level: SchoolLevel
    let number: Int
    let slug: String
    let title: String
    let summary: String
    let exercise: ExerciseKind
    let ruleset: Ruleset
    let html: String
}

/// Every lesson of every level, read from the repository's Markdown.
struct Syllabus: Sendable {
    let lessons: [Lesson]

    func lesson(id: String) -> Lesson? { lessons.first { $0.id == id } }

    func lessons(in level: SchoolLevel) -> [Lesson] { lessons.filter { $0.level == level } }

    /// The lesson to show after switching to `level`: the same topic if that level has it, else the
    /// lesson at the same place in its syllabus, else its last one.
    func counterpart(of lesson: Lesson, in level: SchoolLevel) -> Lesson? {
        let others = lessons(in: level)
        return others.first { $0.slug == lesson.slug } ?? others.first { $0.number == lesson.number } ?? others.last
    }

    /// The lesson after `lesson` in its level, if any.
    func next(after lesson: Lesson) -> Lesson? {
        lessons(in: lesson.level).first { $0.number > lesson.number }
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads `directory/<level>/*.md`. A malformed lesson stops the load with the file and the reason,
    /// so a broken syllabus is found when the site starts, not by a student.
    static func load(from directory: String) throws -> Syllabus {
        var lessons: [Lesson] = []
        let files = FileManager.default
        for level in SchoolLevel.allCases {
            let folder = directory + "/" + level.rawValue
            guard let names = try? files.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where name.hasSuffix(".md") {
                let path = folder + "/" + name
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LoadError(description: "\(path): unreadable") }
                lessons.append(try parse(text, fileName: String(name.dropLast(3)), level: level, path: path))
            }
        }
        return Syllabus(lessons: lessons)
    }

    static func parse(_ text: String, fileName: String, level: SchoolLevel, path: String) throws -> Lesson {
        let parts = fileName.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let number = Int(parts[0]), parts[1].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
            throw LoadError(description: "\(path): the file name must be NN-slug.md")
        }
        let markdown = LessonMarkdown.render(text)
        let metadata = markdown.metadata
        guard let title = metadata["title"], !title.isEmpty else { throw LoadError(description: "\(path): no title") }
        guard let exercise = ExerciseKind(rawValue: metadata["exercise"] ?? "none") else {
            throw LoadError(description: "\(path): unknown exercise \(metadata["exercise"] ?? "")")
        }
        guard let ruleset = Ruleset(rawValue: metadata["ruleset"] ?? "freestyle") else {
            throw LoadError(description: "\(path): unknown ruleset \(metadata["ruleset"] ?? "")")
        }
        let slug = String(parts[1])
        return Lesson(id: "\(level.rawValue)-\(slug)", level: level, number: number, slug: slug, title: title,
                      summary: metadata["summary"] ?? "", exercise: exercise, ruleset: ruleset, html: markdown.html)
    }
}

/// Markdown for lessons: CommonMark by Ink, `board` fences as diagrams, and `$…$` math kept intact
/// for KaTeX (Markdown would otherwise read `_` and `*` inside formulas as emphasis).
enum LessonMarkdown {
    static func render(_ text: String) -> (html: String, metadata: [String: String]) {
        var formulas: [String] = []
        let protected = protectMath(text, into: &formulas)
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .codeBlocks) { html, markdown in
            let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
            guard let fence = lines.first, fence.trimmingCharacters(in: .whitespaces).hasPrefix("```board") else { return html }
            let body = lines.dropFirst().prefix { !$0.hasPrefix("```") }.map(String.init)
            return BoardDiagram(lines: body)?.html ?? html
        })
        let parsed = parser.parse(protected)
        var html = parsed.html
        for (index, formula) in formulas.enumerated() {
            html = html.replacingOccurrences(of: placeholder(index), with: formula.htmlEscaped)
        }
        return (html, parsed.metadata)
    }

    private static func placeholder(_ index: Int) -> String { "MATHPLACEHOLDER\(index)X" }

    /// Replaces `$$…$$` and `$…$` outside code with placeholders, collecting the formulas with their delimiters.
    static func protectMath(_ text: String, into formulas: inout [String]) -> String {
        var output = ""
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle() }
            if inFence || line.hasPrefix("```") { output += line + "\n"; continue }
            var rest = Substring(line)
            while let start = rest.firstIndex(of: "$") {
                let display = rest[start...].hasPrefix("$$")
                let delimiter = display ? "$$" : "$"
                let bodyStart = rest.index(start, offsetBy: delimiter.count)
                guard let end = rest[bodyStart...].range(of: delimiter), end.lowerBound > bodyStart else { break }
                output += rest[..<start]
                formulas.append(String(rest[start..<end.upperBound]))
                output += placeholder(formulas.count - 1)
                rest = rest[end.upperBound...]
            }
            output += rest + "\n"
        }
        return String(output.dropLast())
    }
}
