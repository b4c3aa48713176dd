import ArgumentParser
import FCGIApp
import Foundation
import Store

struct Work: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run background jobs without serving requests (for CGI-only installs, or extra job capacity).",
        discussion: "Stops on SIGTERM or SIGINT after the running jobs finish (a job still running after 10 s is retried elsewhere).")
    @OptionGroup var flags: ConfigFlags
    @Option(help: "Job threads (default: the job_threads setting, at least 1).") var threads: Int?

    func run() throws {
        let app = try Bootstrap.app(flags: flags.values, configFile: flags.config)
        let runner = JobRunner(app: app, threads: max(1, threads ?? app.config.jobThreads))
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGTERM, SIGINT, SIGQUIT] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        runner.start()
        var received: Int32 = 0
        sigwait(&signals, &received)
        runner.stop()
    }
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List or enqueue background jobs.",
        subcommands: [List.self, Enqueue.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest jobs, with their state, attempts and error.")
        @OptionGroup var flags: ConfigFlags
        @Option(help: "Only jobs in this state: queued, running, done or failed.") var state: String?
        @Option(help: "How many.") var limit = 50

        func run() throws {
            let config = try Bootstrap.config(flags: flags.values, configFile: flags.config)
            var filter: Job.State?
            if let state {
                guard let parsed = Job.State(rawValue: state) else { throw ValidationError("state must be queued, running, done or failed") }
                filter = parsed
            }
            let jobs = try Store(path: config.databasePath).read { db in try Jobs.recent(db, state: filter, limit: max(1, limit)) }
            for job in jobs {
                let outcome = job.error ?? job.result ?? ""
                print("\(job.id)\t\(job.kind)\t\(job.state.rawValue)\tattempts=\(job.attempts)/\(job.maxAttempts)\t\(outcome)")
            }
        }
    }

    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a job; prints its id.")
        @OptionGroup var flags: ConfigFlags
        @Argument(help: "The job kind, e.g. diagnostic-sleep.") var kind: String
        @Argument(help: "JSON payload.") var payload = "{}"
        @Option(name: .customLong("max-attempts")) var maxAttempts = 5

        func run() throws {
            let config = try Bootstrap.config(flags: flags.values, configFile: flags.config)
            guard JobKinds.names.contains(kind) else {
                throw ValidationError("unknown job kind \(kind); known: \(JobKinds.names.joined(separator: ", "))")
            }
            guard (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) is [String: Any] else {
                throw ValidationError("the payload must be a JSON object")
            }
            let id = try Store(path: config.databasePath).write { db in
                try Jobs.enqueue(db, kind: kind, payload: payload, maxAttempts: max(1, maxAttempts))
            }
            print(id)
        }
    }
}
