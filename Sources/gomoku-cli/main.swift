// gomoku-cli: the terminal client of the Gomoku site's JSON API (docs/api.md).
import ArgumentParser
import Foundation

/// Runs an async command. Generic on purpose: through `any AsyncParsableCommand` the call would bind to
/// the synchronous `run()` of ParsableCommand, which only prints the help.
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}

// Parsed and run by hand so that the server's own messages reach stderr as they are, without
// ArgumentParser's "Error: " prefix and usage text, which only help with mistakes on the command line.
do {
    var command = try await GomokuCLI.asyncParseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
} catch let error as CLIError {
    Terminal.shared.restore()
    var message = error.description
    if error.status == 401, CommandLine.arguments.dropFirst().first != "login" {
        message += "\n(log in again: gomoku-cli login)"
    }
    printError(message)
    exit(1)
} catch {
    Terminal.shared.restore()
    GomokuCLI.exit(withError: error)
}
