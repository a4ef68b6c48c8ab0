/// One `lorasb` subcommand. Each lives in its own file under Commands/ and is listed in
/// `Commands.all` (main.swift).
protocol Command {
    static var name: String { get }
    static var summary: String { get }
    static var flags: [Arguments.Flag] { get }
    /// Runs with parsed arguments; throws `CLIError` for bad usage, any other error for failures.
    static func run(_ args: Arguments) throws
}
