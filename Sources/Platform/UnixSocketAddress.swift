import Foundation

/// A unix socket path as the `sockaddr` the socket calls take; nil when the path is too long
/// for `sun_path` (108 bytes on Linux).
public struct UnixSocketAddress {
    private var storage = sockaddr_un()

    public init?(_ path: String) {
        storage.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard !path.isEmpty, path.utf8.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
    }

    /// Runs `body` (bind, connect, sendto) with the address and its length.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
