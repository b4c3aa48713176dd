#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One signed-in account on one server.
struct Profile: Codable, Sendable, Equatable {
    var url: String
    var username: String
    var token: String
    var tokenId: Int
    var expiresAt: Int
}

/// `config.json`: the profiles by name and which one is used when none is chosen.
struct ProfileConfig: Codable, Sendable, Equatable {
    var defaultProfile: String?
    var profiles: [String: Profile] = [:]
}

/// The config file, `$XDG_CONFIG_HOME/gomoku/config.json` (else `~/.config/gomoku/config.json`).
/// It holds bearer tokens, so the directory is 0700 and the file 0600 — checked and fixed on every write.
struct ProfileStore: Sendable {
    static let defaultURL = "http://127.0.0.1:8080"

    let directory: URL
    var file: URL { directory.appendingPathComponent("config.json") }
    private var lockFile: URL { directory.appendingPathComponent("config.lock") }

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base: URL
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {  // relative values are invalid per the spec
            base = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            base = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".config", isDirectory: true)
        }
        directory = base.appendingPathComponent("gomoku", isDirectory: true)
    }

    func load() throws -> ProfileConfig {
        guard let data = FileManager.default.contents(atPath: file.path) else { return ProfileConfig() }
        do {
            return try Self.decoder.decode(ProfileConfig.self, from: data)
        } catch {
            throw CLIError.usage("\(file.path) is not a valid gomoku-cli config (\(error)); fix or remove it")
        }
    }

    /// Writes the config atomically: a private temp file (created 0600, so the token is never readable
    /// by others, not even briefly), then rename over the old file.
    func save(_ config: ProfileConfig) throws {
        try makeDirectory()
        let data = try Self.encoder.encode(config) + Data("\n".utf8)
        let temporary = directory.appendingPathComponent(".config.json.\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw fileError("cannot write", temporary) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced, rename(temporary.path, file.path) == 0 else {
            unlink(temporary.path)
            throw fileError("cannot write", file)
        }
        try ensureMode(0o600, of: file)
    }

    /// Loads, changes and saves under an exclusive lock, so two gomoku-cli processes refreshing the same
    /// token at once do not both use (and kill) the old one. The lock is held across `change`'s awaits.
    func update<Result: Sendable>(_ change: (inout ProfileConfig) async throws -> Result) async throws -> Result {
        try makeDirectory()
        let descriptor = open(lockFile.path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { throw fileError("cannot open", lockFile) }
        defer { close(descriptor) }  // closing releases the lock
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw fileError("cannot lock", lockFile) }
        }
        var config = try load()
        let original = config
        let result = try await change(&config)
        if config != original { try save(config) }
        return result
    }

    private func makeDirectory() throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        try ensureMode(0o700, of: directory)
    }

    /// Tightens the permission bits of `url` to exactly `mode` when they differ.
    private func ensureMode(_ mode: mode_t, of url: URL) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw fileError("cannot stat", url) }
        if info.st_mode & 0o777 != mode, chmod(url.path, mode) != 0 {
            throw fileError("cannot chmod \(String(mode, radix: 8))", url)
        }
    }

    private func fileError(_ what: String, _ url: URL) -> CLIError {
        .usage("\(what) \(url.path): \(String(cString: strerror(errno)))")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

/// Where a setting comes from: flags, then the environment, then the config file, then the default.
struct SettingsResolver: Sendable {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    /// The profile to use, if any was chosen or is the default.
    func profileName(flag: String?, config: ProfileConfig) -> String? {
        flag ?? nonEmpty(environment["GOMOKU_PROFILE"]) ?? config.defaultProfile
    }

    func url(flag: String?, profile: Profile?) throws -> String {
        try Self.normalised(flag ?? nonEmpty(environment["GOMOKU_URL"]) ?? profile?.url ?? ProfileStore.defaultURL)
    }

    private func nonEmpty(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }

    /// "http://host:port" without a trailing slash; only http and https.
    static func normalised(_ url: String) throws -> String {
        var text = url.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.host?.isEmpty == false else {
            throw CLIError.usage("not a server URL: \(url) (expected e.g. \(ProfileStore.defaultURL))")
        }
        return text
    }
}
