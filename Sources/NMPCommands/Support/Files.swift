import Foundation

/// File access with messages that name the path and the reason.
enum Files {
    static func read(_ path: String) throws(CommandError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .failure("cannot read '\(path)': no such file")
        }
        guard !isDirectory.boolValue else { throw .failure("cannot read '\(path)': it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .failure("cannot read '\(path)': permission denied or unreadable")
        }
        return [UInt8](data)
    }

    /// Writes the whole file or nothing: the bytes go to a temporary file in the same
    /// directory, which is then renamed over the destination.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CommandError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .failure("cannot write '\(path)': directory '\(directory.path)' does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw .failure("cannot write '\(path)': \(reason(error))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .failure("cannot write '\(path)': \(message)")
        }
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileWriteNoPermissionError { return "permission denied" }
        return ns.localizedDescription
    }

    /// `path` with its extension replaced: "prog.nasm" -> "prog.nmc".
    static func replacingExtension(of path: String, with ext: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension.isEmpty ? path : String(path.dropLast(url.pathExtension.count + 1))
        return base + "." + ext
    }
}
