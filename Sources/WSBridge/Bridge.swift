/// The WebSocket bridge: holds browser connections, follows the notification table and pushes each
/// partial to the connections subscribed to its topic. Built by the realtime issue; this module
/// exists so the package has its final shape.
public enum Bridge {
    public static let defaultListenAddress = "127.0.0.1:8081"
}
