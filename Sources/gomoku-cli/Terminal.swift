#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// The controlling terminal: raw mode, the alternate screen, keys, and putting everything back.
///
/// The saved settings live in one lock-protected box because the terminal must be restored from
/// several places: a normal return, an error, and the signal handlers (which run on a dispatch queue).
final class Terminal: @unchecked Sendable {
    static let shared = Terminal()

    private let lock = NSLock()
    private var savedSettings: termios?
    private var usesAlternateScreen = false
    private var signalSources: [any DispatchSourceSignal] = []

    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Rows and columns of the window (80×24 when unknown, e.g. not a terminal).
    static func size() -> (rows: Int, columns: Int) {
        var window = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 {
            return (Int(window.ws_row), Int(window.ws_col))
        }
        return (24, 80)
    }

    /// Switches stdin to raw mode: keys arrive one by one, unechoed, Ctrl-C as a byte (ISIG off), so
    /// the screen owns every key. Output post-processing stays on, so "\n" still returns the carriage.
    func enterRaw(alternateScreen: Bool) throws {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { throw CLIError.usage("stdin is not a terminal") }
        lock.withLock {
            if savedSettings == nil { savedSettings = settings }
            usesAlternateScreen = alternateScreen
        }
        settings.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        settings.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        withUnsafeMutableBytes(of: &settings.c_cc) { bytes in
            bytes[Int(VMIN)] = 1
            bytes[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings)
        if alternateScreen {
            Terminal.output(ANSI.alternateScreenOn + ANSI.hideCursor + ANSI.clearScreen)
        }
    }

    /// Turns echo off only (for a password prompt); line editing keeps working.
    func disableEcho() {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        lock.withLock { if savedSettings == nil { savedSettings = settings } }
        settings.c_lflag &= ~tcflag_t(ECHO)
        settings.c_lflag |= tcflag_t(ECHONL)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings)
    }

    /// Puts the terminal back as it was; safe to call any number of times, from any thread.
    func restore() {
        let (settings, alternate): (termios?, Bool) = lock.withLock {
            defer { savedSettings = nil; usesAlternateScreen = false }
            return (savedSettings, usesAlternateScreen)
        }
        if alternate {
            Terminal.output(ANSI.reset + ANSI.showCursor + ANSI.alternateScreenOff)
        }
        if var settings {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings)
        }
    }

    /// On SIGINT, SIGTERM, SIGHUP and SIGQUIT: restore the terminal, then exit 128+signal.
    /// The signals are handled on a dispatch queue (not in a signal handler), so restoring may take locks.
    func restoreOnTerminatingSignals() {
        for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            watch(signal: number) { [self] in
                restore()
                exit(128 + number)
            }
        }
    }

    /// Runs `handler` on a background queue whenever `number` arrives (the default action is disabled).
    func watch(signal number: Int32, handler: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        lock.withLock { signalSources.append(source) }
    }

    /// Writes all of `text` to stdout in as few write(2) calls as the kernel allows (one frame = one write).
    static func output(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
        bytes.removeAll()
    }

    /// A line from stdin without its newline; nil at end of input.
    static func readLine(prompt: String?) -> String? {
        if let prompt { FileHandle.standardError.write(Data(prompt.utf8)) }
        return Swift.readLine(strippingNewline: true)
    }

    /// Reads a password: echo off when stdin is a terminal (restored even on Ctrl-C).
    static func readSecret(prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return Swift.readLine(strippingNewline: true) }
        FileHandle.standardError.write(Data(prompt.utf8))
        shared.restoreOnTerminatingSignals()
        shared.disableEcho()
        defer { shared.restore() }
        return Swift.readLine(strippingNewline: true)
    }
}

/// A key of the play screen.
enum Key: Equatable, Sendable {
    case up, down, left, right, home, end
    case enter, backspace, escape, interrupt, endOfInput
    case character(Character)
}

/// Turns the bytes typed into keys. Escape sequences of arrows arrive in one read, so a lone ESC at the
/// end of a chunk is the Escape key itself.
struct KeyDecoder {
    func keys(in bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case 0x1B:
                guard index < bytes.count, bytes[index] == UInt8(ascii: "[") || bytes[index] == UInt8(ascii: "O") else {
                    keys.append(.escape)
                    continue
                }
                index += 1
                // CSI: parameter bytes, then one final byte in 0x40...0x7E.
                var parameters: [UInt8] = []
                while index < bytes.count, !(0x40...0x7E).contains(bytes[index]) {
                    parameters.append(bytes[index])
                    index += 1
                }
                guard index < bytes.count else { break }
                let final = bytes[index]
                index += 1
                switch (final, parameters) {
                case (UInt8(ascii: "A"), _): keys.append(.up)
                case (UInt8(ascii: "B"), _): keys.append(.down)
                case (UInt8(ascii: "C"), _): keys.append(.right)
                case (UInt8(ascii: "D"), _): keys.append(.left)
                case (UInt8(ascii: "H"), _): keys.append(.home)
                case (UInt8(ascii: "F"), _): keys.append(.end)
                case (UInt8(ascii: "~"), [UInt8(ascii: "1")]), (UInt8(ascii: "~"), [UInt8(ascii: "7")]): keys.append(.home)
                case (UInt8(ascii: "~"), [UInt8(ascii: "4")]), (UInt8(ascii: "~"), [UInt8(ascii: "8")]): keys.append(.end)
                default: break  // function keys and the like: ignored
                }
            case 0x0D, 0x0A: keys.append(.enter)
            case 0x7F, 0x08: keys.append(.backspace)
            case 0x03: keys.append(.interrupt)
            case 0x04: keys.append(.endOfInput)
            case 0x20...0x7E: keys.append(.character(Character(Unicode.Scalar(byte))))
            default: break  // other control bytes and non-ASCII: nothing on this screen uses them
            }
        }
        return keys
    }
}

/// Reads keys on a dedicated thread (read(2) blocks) and hands them to async code.
enum KeyReader {
    static func start(_ deliver: @escaping @Sendable (Key) -> Void) {
        let thread = Thread {
            let decoder = KeyDecoder()
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress!, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    deliver(.endOfInput)
                    return
                }
                for key in decoder.keys(in: Array(buffer[0..<count])) { deliver(key) }
            }
        }
        thread.name = "gomoku-cli keys"
        thread.start()
    }
}

/// The escape sequences used (VT100/xterm; tmux and every modern terminal understand them).
enum ANSI {
    static let escape = "\u{1B}["
    static let alternateScreenOn = "\u{1B}[?1049h"
    static let alternateScreenOff = "\u{1B}[?1049l"
    static let hideCursor = "\u{1B}[?25l"
    static let showCursor = "\u{1B}[?25h"
    static let clearScreen = "\u{1B}[2J"
    static let home = "\u{1B}[H"
    static let clearToEndOfLine = "\u{1B}[K"
    static let clearToEndOfScreen = "\u{1B}[J"
    static let reset = "\u{1B}[0m"
    static let bold = "\u{1B}[1m"
    static let dim = "\u{1B}[2m"
    static let reverse = "\u{1B}[7m"
    static let red = "\u{1B}[31m"
    static let green = "\u{1B}[32m"
    static let yellow = "\u{1B}[33m"
    static let cyan = "\u{1B}[36m"
}
