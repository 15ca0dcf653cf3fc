import Dispatch
import Foundation
import RewardBits

/// Turns SIGINT into a flag the engine checks at block boundaries, so an
/// interrupted run saves its checkpoint before exiting.
enum SignalTrap {
    nonisolated(unsafe) private static var source: DispatchSourceSignal?
    nonisolated(unsafe) private static var flag: InterruptFlag?

    static func installInterrupt() -> InterruptFlag {
        if let flag { return flag }
        let flag = InterruptFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if flag.isRaised {
                // A second ^C: give up at once.
                exit(130)
            }
            flag.raise()
        }
        source.resume()
        Self.source = source
        Self.flag = flag
        return flag
    }
}
