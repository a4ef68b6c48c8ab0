import Foundation

/// The operating system's reason for a failed file operation ("No space left on device",
/// "Permission denied"). Foundation wraps it in a generic Cocoa error whose own text says
/// nothing useful, so the underlying POSIX error is unwrapped when there is one.
func systemReason(_ error: Error) -> String {
    let ns = error as NSError
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(posix.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
    return ns.localizedDescription
}
