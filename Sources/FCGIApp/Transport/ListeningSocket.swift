import Platform
import Foundation

/// The FastCGI listening socket: created from `--listen`, or inherited from systemd or a web server.
public enum ListeningSocket {
    public struct Options: Sendable {
        public var address: String
        public var mode: mode_t
        public var owner: String?
        public var backlog: Int32 = 1024
        public init(address: String, mode: mode_t = 0o660, owner: String? = nil) {
            self.address = address
            self.mode = mode
            self.owner = owner
        }
    }

    /// True when `fd` is a socket that is listening (how web servers hand FastCGI apps their socket).
    public static func isListening(fd: Int32) -> Bool {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 && accepting != 0
    }

    /// A socket passed by systemd socket activation (`LISTEN_FDS`), if any.
    public static func systemdSocket() -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        guard let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1,
              environment["LISTEN_PID"].flatMap(Int32.init) == getpid(), isListening(fd: 3) else { return nil }
        return 3
    }

    /// Binds and listens on a unix socket path or `HOST:PORT`.
    public static func open(_ options: Options) throws -> Int32 {
        if options.address.hasPrefix("/") || options.address.hasPrefix(".") || !options.address.contains(":") {
            return try openUnix(options)
        }
        return try openTCP(options)
    }

    private static func openUnix(_ options: Options) throws -> Int32 {
        let path = Config.absolute(options.address)
        guard let address = UnixSocketAddress(path) else { throw ConfigError("socket path \(path) is too long for a unix socket") }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: path) {
            // A live server answers on it: refuse to steal its socket. A stale file is removed.
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let connected = address.withSockaddr { connect(probe, $0, $1) }
            close(probe)
            if connected == 0 { throw ConfigError("another server is already listening on \(path)") }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConfigError("cannot create a socket: \(String(cString: strerror(errno)))") }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else { close(fd); throw ConfigError("cannot bind \(path): \(String(cString: strerror(errno)))") }
        guard chmod(path, options.mode) == 0 else { throw ConfigError("cannot chmod \(path): \(String(cString: strerror(errno)))") }
        if let owner = options.owner { try chown(path: path, owner: owner) }
        guard listen(fd, options.backlog) == 0 else { throw ConfigError("cannot listen on \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    private static func chown(path: String, owner: String) throws {
        let parts = owner.split(separator: ":", maxSplits: 1).map(String.init)
        var uid: uid_t = .max
        var gid: gid_t = .max
        if let name = parts.first, !name.isEmpty {
            guard let entry = getpwnam(name) else { throw ConfigError("unknown user \(name) for socket_owner") }
            uid = entry.pointee.pw_uid
            gid = entry.pointee.pw_gid
        }
        if parts.count > 1 {
            guard let entry = getgrnam(parts[1]) else { throw ConfigError("unknown group \(parts[1]) for socket_owner") }
            gid = entry.pointee.gr_gid
        }
        guard Glibc.chown(path, uid, gid) == 0 else { throw ConfigError("cannot chown \(path): \(String(cString: strerror(errno)))") }
    }

    private static func openTCP(_ options: Options) throws -> Int32 {
        guard let colon = options.address.lastIndex(of: ":"), let port = UInt16(options.address[options.address.index(after: colon)...]) else {
            throw ConfigError("listen address \(options.address) is neither a socket path nor HOST:PORT")
        }
        var host = String(options.address[..<colon])
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ConfigError("listen host \(host) is not an IPv4 address") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw ConfigError("cannot bind \(options.address): \(String(cString: strerror(errno)))") }
        guard listen(fd, options.backlog) == 0 else { throw ConfigError("cannot listen on \(options.address)") }
        return fd
    }
}
