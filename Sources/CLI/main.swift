import Foundation
import Distributed
import LoRASB

// Training runs many short threaded products back to back (see BLASThreadTimeout).
BLASThreadTimeout.shortenByRestarting(when: ["train", "experiment"].contains(CommandLine.arguments.dropFirst().first ?? ""))

/// Every subcommand, in the order `lorasb --help` lists them.
let commands: [any Command.Type] = [
    InfoCommand.self,
    TokenizeCommand.self,
    TrainCommand.self,
    GenerateCommand.self,
    EvalCommand.self,
    ExportCommand.self,
    ExperimentCommand.self,
]

func printStandardError(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8) ?? Data())
}

func topLevelUsage() -> String {
    var s = "lorasb: LoRA-SB fine-tuning of transformer models on the CPU\n\nusage: lorasb <command> [options]\n\ncommands:\n"
    for c in commands { s += "  \(c.name.padding(toLength: 12, withPad: " ", startingAt: 0))\(c.summary)\n" }
    s += "\n`lorasb <command> --help` describes a command's options."
    return s
}

let words = Array(CommandLine.arguments.dropFirst())
guard let first = words.first, first != "-h", first != "--help", first != "help" else {
    print(topLevelUsage())
    exit(words.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.name == first }) else {
    printStandardError("lorasb: unknown command '\(first)'\n\n\(topLevelUsage())")
    exit(2)
}
do {
    let args = try Arguments(Array(words.dropFirst()), flags: command.flags)
    if args.has("help") {
        print(Arguments.usage(command: command.name, summary: command.summary, flags: command.flags))
        exit(0)
    }
    try command.run(args)
} catch let e as CLIError {
    printStandardError("lorasb \(command.name): \(e.description)\n(see `lorasb \(command.name) --help`)")
    exit(2)
} catch {
    printStandardError("lorasb \(command.name): \(SettingFlags.message(error))")
    // Under mpirun the other processes may be waiting in a collective: end them all.
    if let world = try? World.communicator(), world.isDistributed {
        printStandardError("lorasb \(command.name): rank \(world.rank) of \(world.worldSize) stopped; ending every process of the run")
        world.abort(code: 1)
    }
    exit(1)
}
