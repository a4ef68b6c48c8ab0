#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// OpenBLAS's idle threads keep spinning (`sched_yield`) for a while after every threaded
/// sgemm. Between the products of a training step they take the second core from our own
/// Dispatch workers and the bf16 products: measured on the 2-core machine, the SmolLM2 step runs
/// 1.27× faster in fp32 and 1.1–1.4× in bf16 when the threads go to sleep at once
/// (`OPENBLAS_THREAD_TIMEOUT=4`, the shortest). OpenBLAS reads the variable only while it loads,
/// before `main`, so an executable that wants it sets it and starts itself again. Decoding one
/// token at a time is the exception: it calls sgemv back to back and loses ~15% when the threads
/// sleep between calls, so generation keeps OpenBLAS's default.
public enum BLASThreadTimeout {
    public static let variable = "OPENBLAS_THREAD_TIMEOUT"

    /// When the variable is unset: sets it to the shortest timeout and re-executes the running
    /// program with the same arguments (same process id). Returns normally when the variable was
    /// already set (by the user or by the re-execution) or when re-executing is not possible.
    public static func shortenByRestarting(when wanted: Bool = true) {
        #if os(Linux)
        guard wanted, ProcessInfo.processInfo.environment[variable] == nil else { return }
        setenv(variable, "4", 1)
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the default timeout.
        #endif
    }
}
