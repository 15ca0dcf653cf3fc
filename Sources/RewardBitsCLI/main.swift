import ArgumentParser
import Foundation
import RewardBits

// A custom entry point: every failure becomes exactly one line on stderr and
// a sysexits(3) code, whether it comes from argument parsing or from a run.
do {
    // "--progress" alone means "--progress text" (an option's value cannot be optional).
    var arguments = CommandLineHints.joiningNegativeValues(Array(CommandLine.arguments.dropFirst()))
    for i in arguments.indices.reversed() where arguments[i] == "--progress"
        && (i + 1 == arguments.count || !ProgressFormat.allCases.map(\.rawValue).contains(arguments[i + 1])) {
        arguments[i] = "--progress=text"
    }
    try CommandLineHints.check(arguments)
    var command: ParsableCommand
    do {
        command = try RewardBitsCommand.parseAsRoot(arguments)
    } catch {
        if RewardBitsCommand.exitCode(for: error) != .success,
           let better = CommandLineHints.betterMessage(for: RewardBitsCommand.message(for: error), arguments: arguments) {
            throw RewardBitsError.invalidInput(ErrorText(stringLiteral: better))
        }
        throw error
    }
    try command.run()
    fflush(nil)
} catch let status as ExitCode {
    // A command that already said why (bench --compare on a regression).
    fflush(nil)
    exit(status.rawValue)
} catch let error as RewardBitsError {
    fflush(nil)
    CommandLineError.report(error.commandLineMessage, code: error.exitCode, hint: false)
} catch {
    let code = RewardBitsCommand.exitCode(for: error)
    if code == .success {
        // --help, --version and friends.
        print(RewardBitsCommand.fullMessage(for: error))
        fflush(nil)
        exit(0)
    }
    CommandLineError.report(RewardBitsCommand.message(for: error), code: code.rawValue, hint: true)
}
