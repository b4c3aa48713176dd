import Foundation
import Logging

/// The syllabus, read on first use (CGI requests that never show a lesson never pay for it) and kept
/// for the life of the process.
final class SchoolCatalog: @unchecked Sendable {
    private let directory: String
    private let lock = NSLock()
    private var loaded: Result<Syllabus, any Error>?

    init(directory: String) { self.directory = directory }

    func syllabus() throws -> Syllabus {
        try lock.withLock {
            if loaded == nil { loaded = Result { try Syllabus.load(from: directory) } }
            return try loaded!.get()
        }
    }
}
