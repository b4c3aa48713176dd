import ArgumentParser
import Foundation

struct GomokuCLI: AsyncParsableCommand {
    static let version = "1.0"

    static let configuration = CommandConfiguration(
        commandName: "gomoku-cli",
        abstract: "Play Gomoku on a Gomoku site from the terminal.",
        discussion: """
            Log in once (`gomoku-cli login`); the token is kept in $XDG_CONFIG_HOME/gomoku/config.json \
            (~/.config/gomoku/config.json) and renewed automatically a day before it expires. \
            Settings: flags, then GOMOKU_URL / GOMOKU_PROFILE, then the config file, then \(ProfileStore.defaultURL).
            """,
        version: version,
        subcommands: [
            Login.self, Logout.self, WhoAmI.self, Profiles.self,
            Games.self, Show.self, Play.self, Move.self, Resign.self,
            ChallengeCommand.self, Challenges.self, Accept.self, Decline.self, Cancel.self,
            Friends.self, Befriend.self, Unfriend.self,
        ])
}

/// Options every command that talks to the server accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The profile (account) to use. Default: $GOMOKU_PROFILE, else the default profile.")
    var profile: String?

    @Option(help: "The server. Default: $GOMOKU_URL, else the profile's, else \(ProfileStore.defaultURL).")
    var url: String?
}

// MARK: - Session: a profile with a fresh token

/// The chosen profile and a client carrying its token, renewed first when it expires within a day.
struct Session {
    static let refreshMargin = 24 * 60 * 60

    let name: String
    let profile: Profile
    let client: APIClient

    static func open(_ options: GlobalOptions, refreshing: Bool = true) async throws -> Session {
        let store = ProfileStore()
        let resolver = SettingsResolver()
        let config = try store.load()
        guard let name = resolver.profileName(flag: options.profile, config: config) else {
            throw CLIError.usage("not logged in: run `gomoku-cli login` first")
        }
        guard var profile = config.profiles[name] else {
            let known = config.profiles.keys.sorted().joined(separator: ", ")
            throw CLIError.usage("there is no profile \"\(name)\"" + (known.isEmpty ? "" : " (profiles: \(known))")
                                 + "; create it with `gomoku-cli login --profile \(name)`")
        }
        let url = try resolver.url(flag: options.url, profile: profile)
        if refreshing, needsRefresh(profile) {
            profile = try await refresh(name: name, url: url, store: store)
        }
        return Session(name: name, profile: profile, client: APIClient(baseURL: url, token: profile.token))
    }

    static func needsRefresh(_ profile: Profile, now: Int = Int(Date().timeIntervalSince1970)) -> Bool {
        profile.expiresAt - now < refreshMargin
    }

    /// Swaps the token for a new one (the server then refuses the old one) and saves it, all under the
    /// config lock: a second gomoku-cli started meanwhile waits and then finds the token already renewed.
    private static func refresh(name: String, url: String, store: ProfileStore) async throws -> Profile {
        try await store.update { config in
            guard var profile = config.profiles[name] else { throw CLIError.usage("the profile \"\(name)\" was removed") }
            let now = Int(Date().timeIntervalSince1970)
            guard needsRefresh(profile, now: now) else { return profile }
            guard profile.expiresAt > now else {
                throw CLIError.usage("the token of profile \"\(name)\" expired on \(Format.date(profile.expiresAt)); "
                                     + "log in again: gomoku-cli login --profile \(name)")
            }
            let issued = try await APIClient(baseURL: url, token: profile.token).refreshToken()
            profile.token = issued.token
            profile.expiresAt = issued.expiresAt
            profile.tokenId = issued.tokenInfo.id
            config.profiles[name] = profile
            return profile
        }
    }
}

// MARK: - Account and profiles

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in and keep the token in a profile.",
        discussion: """
            The profile is named after --profile, else $GOMOKU_PROFILE, else the username. The first profile \
            becomes the default. Without --password-stdin the password is asked for without echo.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The username (asked for when missing).") var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of stdin.") var passwordStdin = false
    @Flag(name: .customLong("default"), help: "Make this profile the default.") var makeDefault = false

    func run() async throws {
        let store = ProfileStore()
        let resolver = SettingsResolver()
        let config = try store.load()

        guard let username = (username ?? Terminal.readLine(prompt: "Username: "))?.trimmingCharacters(in: .whitespaces),
              !username.isEmpty else { throw CLIError.usage("no username given") }
        let name = options.profile ?? ProcessInfo.processInfo.environment["GOMOKU_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? username
        let previous = config.profiles[name]
        let url = try resolver.url(flag: options.url, profile: previous)
        let password = try readPassword()

        let issued = try await APIClient(baseURL: url).issueToken(
            username: username, password: password, deviceName: DeviceDescription.name, deviceInfo: DeviceDescription.info)
        let isDefault = try await store.update { config in
            config.profiles[name] = Profile(url: url, username: username, token: issued.token,
                                            tokenId: issued.tokenInfo.id, expiresAt: issued.expiresAt)
            if makeDefault || config.defaultProfile.flatMap({ config.profiles[$0] }) == nil {
                config.defaultProfile = name
            }
            return config.defaultProfile == name
        }
        // The profile's previous token is no longer kept anywhere: revoke it rather than leave it valid for days.
        if let previous, previous.url == url, previous.token != issued.token {
            try? await APIClient(baseURL: url, token: previous.token).revokeToken(id: previous.tokenId)
        }
        print("Logged in as \(username) at \(url): profile \"\(name)\"\(isDefault ? " (default)" : ""), "
              + "token valid until \(Format.date(issued.expiresAt)).")
    }

    private func readPassword() throws -> String {
        if passwordStdin {
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError.usage("--password-stdin: no password on stdin")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError.usage("stdin is not a terminal: pass the password with --password-stdin")
        }
        guard let password = Terminal.readSecret(prompt: "Password: "), !password.isEmpty else {
            throw CLIError.usage("no password given")
        }
        return password
    }
}

/// What the server shows in the list of a user's tokens.
enum DeviceDescription {
    static var name: String {
        let host = ProcessInfo.processInfo.hostName
        return "gomoku-cli on \(host.isEmpty ? "an unnamed host" : host)"
    }

    static var info: [String: String] {
        var system = utsname()
        uname(&system)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return ["os": "\(text(system.sysname)) \(text(system.release)) \(text(system.machine))",
                "client": "gomoku-cli \(GomokuCLI.version)"]
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke the profile's token and remove the profile.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Only remove the profile, without asking the server to revoke the token.") var local = false

    func run() async throws {
        let session = try await Session.open(options, refreshing: false)
        if !local {
            do {
                try await session.client.revokeToken(id: session.profile.tokenId)
            } catch let error as CLIError where error.status == 401 {
                printError("the token was no longer valid; removing the profile anyway")
            } catch let error as CLIError {
                if case .network = error {
                    throw CLIError.usage("\(error)\n(use --local to remove the profile without revoking its token)")
                }
                throw error
            }
        }
        let newDefault = try await ProfileStore().update { config in
            config.profiles[session.name] = nil
            if config.defaultProfile == session.name { config.defaultProfile = config.profiles.keys.sorted().first }
            return config.defaultProfile
        }
        print("Logged out of profile \"\(session.name)\" (\(session.profile.username) at \(session.client.baseURL))."
              + (newDefault.map { " The default profile is now \"\($0)\"." } ?? ""))
    }
}

struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the signed-in user.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let session = try await Session.open(options)
        let user = try await session.client.me()
        let display = user.displayName.flatMap { $0.isEmpty || $0 == user.username ? nil : " (\($0))" } ?? ""
        print("\(user.username)\(display) at \(session.client.baseURL), profile \"\(session.name)\", "
              + "token valid until \(Format.date(session.profile.expiresAt))")
    }
}

struct Profiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the profiles (* marks the default).")

    @Option(name: .customLong("set-default"), help: "Make this profile the default.") var setDefault: String?

    func run() async throws {
        let store = ProfileStore()
        if let setDefault {
            try await store.update { config in
                guard config.profiles[setDefault] != nil else { throw CLIError.usage("there is no profile \"\(setDefault)\"") }
                config.defaultProfile = setDefault
            }
        }
        let config = try store.load()
        guard !config.profiles.isEmpty else {
            print("No profiles yet: log in with `gomoku-cli login`.")
            return
        }
        let rows = config.profiles.sorted { $0.key < $1.key }.map { name, profile in
            [config.defaultProfile == name ? "*" : " ", name, profile.username, profile.url, Format.date(profile.expiresAt)]
        }
        print(Format.table(["", "PROFILE", "USER", "SERVER", "TOKEN EXPIRES"], rows))
    }
}

// MARK: - Games

enum GameStatusFilter: String, ExpressibleByArgument, CaseIterable { case active, finished, all }
enum RulesetFilter: String, ExpressibleByArgument, CaseIterable { case any, freestyle, standard, renju, caro }
enum Ruleset: String, ExpressibleByArgument, CaseIterable { case freestyle, standard, renju, caro }
enum Colour: String, ExpressibleByArgument, CaseIterable { case black, white, random }

struct Games: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your games.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "active, finished or all.") var status: GameStatusFilter = .active
    @Option(help: "any, freestyle, standard, renju or caro.") var ruleset: RulesetFilter?
    @Option(help: "Only games against this username.") var player: String?
    @Option(help: "Page number (from 1).") var page: Int?

    func run() async throws {
        let session = try await Session.open(options)
        let list = try await session.client.games(status: status.rawValue, ruleset: ruleset?.rawValue, player: player, page: page)
        guard !list.games.isEmpty else {
            print("No \(status == .all ? "" : status.rawValue + " ")games.")
            return
        }
        let me = session.profile.username
        let rows = list.games.map { game -> [String] in
            let opponent = game.black.username == me ? game.white : game.black
            let colour = game.black.username == me ? "black" : game.white.username == me ? "white" : "-"
            return [String(game.id), opponent.label, colour, game.ruleset, "\(game.size)x\(game.size)", String(game.moveCount),
                    game.status == "finished" ? (game.result ?? "finished") : "active", Format.date(game.createdAt)]
        }
        print(Format.table(["ID", "OPPONENT", "YOU", "RULESET", "SIZE", "MOVES", "STATUS", "STARTED"], rows))
        if list.pages > 1 { print("Page \(list.page) of \(list.pages) (\(list.total) games); --page N for more.") }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a game's board as text.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The game id.") var gameId: Int

    func run() async throws {
        let session = try await Session.open(options)
        let game = try await session.client.game(gameId)
        print(GameText.summary(game))
        print(BoardText(game: game).lines.joined(separator: "\n"))
        if !game.moves.isEmpty {
            print("Moves: " + game.moves.map { "\($0.number).\($0.notation)" }.joined(separator: " "))
        }
        print(game.statusText)
    }
}

struct Move: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Play one move (for scripts; `play` is interactive).")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The game id.") var gameId: Int
    @Argument(help: "The point, e.g. h8 (column letter, row number from the bottom).") var point: String

    func run() async throws {
        let session = try await Session.open(options)
        let game = try await session.client.game(gameId)
        guard let target = Notation.parse(point, size: game.size) else {
            throw CLIError.usage("\(point) is not a point of this \(game.size)x\(game.size) board (\(Notation.range(size: game.size)))")
        }
        let after = try await session.client.move(game: gameId, row: target.row, col: target.col, moveNumber: game.nextMoveNumber)
        let played = after.moves.last.map { "Move \($0.number): \($0.stone) \($0.notation)." } ?? "Played."
        print("\(played) \(after.statusText)")
    }
}

struct Resign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resign a game.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The game id.") var gameId: Int

    func run() async throws {
        let session = try await Session.open(options)
        print(try await session.client.resign(game: gameId).statusText)
    }
}

struct Play: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a game on a full-screen board.",
        discussion: """
            Arrow keys move the cursor and Enter plays there; or type a point such as h8 and press Enter. \
            Esc clears what was typed; q (or Ctrl-C) quits. The opponent's moves appear as they are made.
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The game id.") var gameId: Int

    func run() async throws {
        let session = try await Session.open(options)
        try await PlayScreen(client: session.client, gameId: gameId).run()
    }
}

// MARK: - Challenges

struct ChallengeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "challenge", abstract: "Challenge a player to a game.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "Who to challenge (username).") var username: String
    @Option(help: "freestyle, standard, renju or caro.") var ruleset: Ruleset = .freestyle
    @Option(help: "Board size: 15 or 19.") var size: Int = 15
    @Option(help: "Your colour: black, white or random.") var colour: Colour = .random

    func validate() throws {
        guard size == 15 || size == 19 else { throw ValidationError("--size must be 15 or 19") }
    }

    func run() async throws {
        let session = try await Session.open(options)
        let challenge = try await session.client.challenge(opponent: username, ruleset: ruleset.rawValue, size: size,
                                                           colour: colour.rawValue)
        print("Challenge \(challenge.id) sent to \(challenge.to.label): \(challenge.ruleset) \(challenge.size)x\(challenge.size), "
              + "you play \(challenge.colour).")
    }
}

struct Challenges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List pending challenges, received and sent.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let session = try await Session.open(options)
        let lists = try await session.client.challenges()
        func rows(_ challenges: [Challenge], other: (Challenge) -> PlayerRef) -> [[String]] {
            challenges.map { [String($0.id), other($0).label, $0.ruleset, "\($0.size)x\($0.size)", $0.colour,
                              $0.expiresAt.map(Format.relative) ?? "-"] }
        }
        print("Received:")
        print(lists.received.isEmpty ? "  none" : Format.table(["ID", "FROM", "RULESET", "SIZE", "THEIR COLOUR", "EXPIRES"],
                                                              rows(lists.received) { $0.from }, indent: 2))
        print("Sent:")
        print(lists.sent.isEmpty ? "  none" : Format.table(["ID", "TO", "RULESET", "SIZE", "YOUR COLOUR", "EXPIRES"],
                                                          rows(lists.sent) { $0.to }, indent: 2))
    }
}

struct Accept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accept a challenge; prints the new game's id.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The challenge id.") var challengeId: Int

    func run() async throws {
        let session = try await Session.open(options)
        let answer = try await session.client.respond(challenge: challengeId, answer: "accept")
        guard let gameId = answer.gameId ?? answer.challenge.gameId else {
            throw CLIError.badResponse("the challenge was accepted but the server named no game")
        }
        print(gameId)  // alone on stdout, for scripts: GAME=$(gomoku-cli accept 7)
    }
}

struct Decline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decline a challenge you received.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The challenge id.") var challengeId: Int

    func run() async throws {
        let session = try await Session.open(options)
        let answer = try await session.client.respond(challenge: challengeId, answer: "decline")
        print("Declined the challenge from \(answer.challenge.from.label).")
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a challenge you sent.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The challenge id.") var challengeId: Int

    func run() async throws {
        let session = try await Session.open(options)
        let answer = try await session.client.respond(challenge: challengeId, answer: "cancel")
        print("Withdrew the challenge to \(answer.challenge.to.label).")
    }
}

// MARK: - Friends

struct Friends: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List friends and friend requests.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let session = try await Session.open(options)
        let lists = try await session.client.friends()
        print("Friends:")
        print(lists.friends.isEmpty ? "  none" : Format.table(["USER", "ONLINE"], lists.friends.map {
            [$0.user.label, $0.online == true ? "online" : "away"]
        }, indent: 2))
        if !lists.incoming.isEmpty {
            print("Asking to be your friend (gomoku-cli befriend USER to accept, unfriend USER to decline):")
            print(Format.table(["USER"], lists.incoming.map { [$0.user.label] }, indent: 2))
        }
        if !lists.outgoing.isEmpty {
            print("Waiting for an answer:")
            print(Format.table(["USER"], lists.outgoing.map { [$0.user.label] }, indent: 2))
        }
    }
}

struct Befriend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask someone to be your friend, or accept their request.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The username.") var username: String

    func run() async throws {
        let session = try await Session.open(options)
        let lists = try await session.client.friends()
        if let request = lists.incoming.first(where: { $0.user.username.lowercased() == username.lowercased() }) {
            let friend = try await session.client.respond(friendship: request.id, answer: "accept")
            print("You and \(friend.user.label) are now friends.")
        } else {
            let friend = try await session.client.befriend(username: username)
            print(friend.status == "accepted" ? "You and \(friend.user.label) are now friends."
                                              : "Friend request sent to \(friend.user.label).")
        }
    }
}

struct Unfriend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a friend, decline their request, or withdraw yours.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The username.") var username: String

    func run() async throws {
        let session = try await Session.open(options)
        let lists = try await session.client.friends()
        func find(_ list: [Friend]) -> Friend? { list.first { $0.user.username.lowercased() == username.lowercased() } }
        if let request = find(lists.incoming) {
            _ = try await session.client.respond(friendship: request.id, answer: "decline")
            print("Declined the friend request of \(request.user.label).")
        } else if let friendship = find(lists.friends) ?? find(lists.outgoing) {
            try await session.client.removeFriend(friendship: friendship.id)
            print("Removed \(friendship.user.label).")
        } else {
            throw CLIError.usage("\(username) is neither a friend nor in a friend request")
        }
    }
}

// MARK: - Output

enum GameText {
    /// "Game 12 · freestyle 15x15 · x Alice (@alice) vs o Bob (@bob)"
    static func summary(_ game: Game) -> String {
        func you(_ colour: String) -> String { game.yourColour == colour ? " (you)" : "" }
        return "Game \(game.id) · \(game.ruleset) \(game.size)x\(game.size) · "
            + "x \(game.black.label)\(you("black")) vs o \(game.white.label)\(you("white"))"
    }
}

enum Format {
    static func date(_ seconds: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// "in 3 h", "in 12 min", "expired".
    static func relative(_ seconds: Int) -> String {
        let left = seconds - Int(Date().timeIntervalSince1970)
        switch left {
        case ..<0: return "expired"
        case ..<3600: return "in \(max(1, left / 60)) min"
        case ..<(2 * 86400): return "in \(left / 3600) h"
        default: return "in \(left / 86400) days"
        }
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ headers: [String], _ rows: [[String]], indent: Int = 0) -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let prefix = String(repeating: " ", count: indent)
        return all.map { row in
            prefix + row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("gomoku-cli: \(message)\n".utf8))
}
