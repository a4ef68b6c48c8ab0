import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) into a flag the training loop polls between steps, so an interrupted run
/// finishes its step, saves a checkpoint and exits cleanly instead of losing the work.
///
/// While installed, the signal's default action is replaced (it is ignored at the process level
/// and delivered to a Dispatch signal source). With `secondInterruptExits`, a second Ctrl-C exits
/// at once with status 130, for when saving itself hangs; atomic checkpoint writes keep the last
/// complete checkpoint intact either way. `cancel()` (or releasing the monitor) restores the
/// default action.
public final class InterruptMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var interrupts = 0
    private let signalNumber: Int32
    private let source: DispatchSourceSignal
    private var cancelled = false

    /// Starts watching for `signalNumber` (SIGINT by default). `onInterrupt` runs on a private
    /// queue with the number of interrupts so far, e.g. to print "stopping after this step".
    public init(signal signalNumber: Int32 = SIGINT, secondInterruptExits: Bool = true,
                onInterrupt: (@Sendable (Int) -> Void)? = nil) {
        self.signalNumber = signalNumber
        signal(signalNumber, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: signalNumber,
                                                 queue: DispatchQueue(label: "lorasb.interrupt"))
        // The handler must be @Sendable: Dispatch calls it on its own queue.
        let handler: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            let count = self.record()
            onInterrupt?(count)
            if secondInterruptExits && count >= 2 { exit(130) }
        }
        source.setEventHandler(handler: handler)
        // Registration with the kernel happens asynchronously after `resume()`; until it has, a
        // signal meets the plain "ignore" disposition and is lost. Waiting for it closes that gap.
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler(handler: { @Sendable in registered.signal() })
        source.resume()
        _ = registered.wait(timeout: .now() + 2)
    }

    deinit { cancel() }

    /// Whether an interrupt has arrived.
    public var isInterrupted: Bool { interruptCount > 0 }

    /// Interrupts received so far.
    public var interruptCount: Int {
        lock.lock(); defer { lock.unlock() }
        return interrupts
    }

    /// Stops watching and restores the signal's default action.
    public func cancel() {
        lock.lock()
        let already = cancelled
        cancelled = true
        lock.unlock()
        if already { return }
        source.cancel()
        signal(signalNumber, SIG_DFL)
    }

    private func record() -> Int {
        lock.lock(); defer { lock.unlock() }
        interrupts += 1
        return interrupts
    }
}
