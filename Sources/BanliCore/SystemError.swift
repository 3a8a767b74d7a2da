#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension BanliError {
    /// The C library's sentence for an `errno` value (`strerror`), to end a message about a failed system call.
    /// Pass `errno` at the call, before anything else can change it.
    public static func systemText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
