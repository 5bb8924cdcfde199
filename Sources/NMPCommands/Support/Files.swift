import Foundation

/// File access for the commands, with messages that name the path and the reason.
///
/// Outputs are written whole or not at all, and never at the expense of an input:
/// - a regular file (or a path that does not exist yet) is written to a temporary file in
///   the same directory, which is then renamed over it; the temporary file is removed when
///   the write fails and when the process is interrupted (SIGINT, SIGTERM, SIGHUP);
/// - a symbolic link is followed: its target is replaced, the link stays;
/// - anything else that can be opened for writing (`/dev/null`, a FIFO, a terminal) is
///   written through, never replaced by a regular file;
/// - `checkOutputs` runs before a command writes anything: every output must be writable,
///   and none may be one of the inputs or another output (compared by device and inode, so
///   `./a.nasm`, `a.nasm` and a symlink to it are the same file).
enum Files {
    /// The largest input file nmp reads (4 GiB): larger inputs are rejected before reading.
    static let maxInputBytes = 1 << 32

    /// The whole file at `path`: a regular file, or a stream such as a FIFO or /dev/stdin,
    /// up to `maxInputBytes`.
    static func read(_ path: String) throws(CommandError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .failure("cannot read '\(path)': \(posixReason(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .failure("cannot read '\(path)': \(posixReason(errno))") }
        if info.st_mode & S_IFMT == S_IFDIR { throw .failure("cannot read '\(path)': it is a directory") }
        let regular = info.st_mode & S_IFMT == S_IFREG
        if regular && Int(info.st_size) > maxInputBytes {
            throw .failure("cannot read '\(path)': it has \(Format.count(Int(info.st_size))) bytes; nmp reads files of at most \(Format.count(maxInputBytes))")
        }
        var bytes: [UInt8] = []
        if regular { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failure("cannot read '\(path)': \(posixReason(errno))")
            }
            if n == 0 { break }
            guard bytes.count + n <= maxInputBytes else {
                throw .failure("cannot read '\(path)': it is longer than \(Format.count(maxInputBytes)) bytes, the most nmp reads")
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    // MARK: Identity

    /// A file's identity: device and inode, after following symbolic links.
    struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    /// The identity of the file `path` names, or nil when nothing exists there.
    static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Checks, before anything is written, that every output can be written and that no
    /// output is an input or another output. Each output is (option, path), e.g.
    /// ("--output", "Y.npy"); each input (what it is, path), e.g. ("--weights file", "W.npy").
    static func checkOutputs(_ outputs: [(String, String)], inputs: [(String, String)]) throws(CommandError) {
        var seen: [(String, String, Identity?)] = inputs.map { ($0.0, $0.1, identity($0.1)) }
        let inputCount = seen.count
        for (option, path) in outputs {
            let target = try destination(path)
            let id = identity(path)
            let canonical = canonicalPath(path)
            for (index, (otherOption, otherPath, otherID)) in seen.enumerated() {
                let same = id != nil ? id == otherID : (otherID == nil && canonical != nil && canonical == canonicalPath(otherPath))
                guard same else { continue }
                let what = index < inputCount ? "the \(otherOption) '\(otherPath)'" : "the output of \(otherOption)"
                throw .failure("\(option) '\(path)' is also \(what); nmp never writes over its inputs or one output over another (give another file name)")
            }
            let directory = (target.path as NSString).deletingLastPathComponent
            let checked = target.kind == .replace && id == nil ? (directory.isEmpty ? "." : directory) : target.path
            guard access(checked, W_OK) == 0 else {
                throw .failure("cannot write '\(path)': \(posixReason(errno))\(checked == target.path ? "" : " (directory '\(checked)')")")
            }
            seen.append((option, path, id))
        }
    }

    /// The absolute path `path` will name once created: its directory with symbolic links
    /// resolved, plus its last component; nil when the directory does not exist.
    private static func canonicalPath(_ path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        guard let resolved = realpath(directory.isEmpty ? "." : directory, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved) + "/" + (path as NSString).lastPathComponent
    }

    // MARK: Writing

    /// How an output path is written.
    struct Destination {
        enum Kind { case replace, writeThrough }
        /// The file to replace (symbolic links followed) or to write through.
        let path: String
        let kind: Kind
    }

    /// Where writing `path` goes: the regular file it names (or will name), following
    /// symbolic links, or a non-regular file to write through. A directory, a dangling
    /// link and a missing directory are errors.
    static func destination(_ path: String) throws(CommandError) -> Destination {
        var current = path
        var info = stat()
        // Follow symbolic links one at a time, so that a link to a file that does not exist
        // yet creates that file (as a shell redirection would).
        var hops = 0
        while lstat(current, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
            hops += 1
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0, hops <= 40 else {
                throw .failure("cannot write '\(path)': \(hops > 40 ? "too many levels of symbolic links" : posixReason(errno))")
            }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        if current != path { return try destination(current) }
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: throw .failure("cannot write '\(path)': it is a directory")
            case S_IFREG: return Destination(path: path, kind: .replace)
            default: return Destination(path: path, kind: .writeThrough)
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .failure("cannot write '\(path)': directory '\(directory)' does not exist")
        }
        return Destination(path: path, kind: .replace)
    }

    /// Writes the whole file or nothing (see `Files`).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CommandError) {
        let writer = try OutputFile(path)
        try writer.write(bytes)
        try writer.commit()
    }

    /// Writes several outputs: every one is staged before any is put in place, so that an
    /// error while writing leaves all of them as they were.
    static func writeAll(_ outputs: [(path: String, bytes: [UInt8])]) throws(CommandError) {
        var staged: [OutputFile] = []
        do {
            for output in outputs {
                let writer = try OutputFile(output.path)
                staged.append(writer)
                try writer.write(output.bytes)
            }
        } catch {
            for writer in staged { writer.abandon() }
            throw error
        }
        for writer in staged { try writer.commit() }
    }

    /// `path` with its extension replaced: "prog.nasm" -> "prog.nmc".
    static func replacingExtension(of path: String, with ext: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension.isEmpty ? path : String(path.dropLast(url.pathExtension.count + 1))
        return base + "." + ext
    }

    static func posixReason(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: "permission denied"
        case ENOENT: "no such file or directory"
        case ENOSPC: "no space left on the device"
        case EISDIR: "it is a directory"
        default: String(cString: strerror(code))
        }
    }
}

/// One output being written: to a temporary file that `commit` renames into place, or
/// straight through to a non-regular file. Until committed, an interrupt or `abandon`
/// removes the temporary file.
final class OutputFile {
    let path: String
    private let destination: Files.Destination
    private let temporary: String?
    private var fd: Int32
    /// The interrupt-cleanup slot of the temporary file (nil when the table was full).
    private var slot: Int?
    /// The temporary file exists and has not been renamed into place yet.
    private var pending = false

    init(_ path: String) throws(CommandError) {
        self.path = path
        destination = try Files.destination(path)
        switch destination.kind {
        case .writeThrough:
            temporary = nil
            fd = open(destination.path, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { throw .failure("cannot write '\(path)': \(Files.posixReason(errno))") }
        case .replace:
            let url = URL(fileURLWithPath: destination.path)
            let name = ".\(url.lastPathComponent).\(getpid()).\(OutputFile.counter.next()).tmp"
            let temporary = url.deletingLastPathComponent().appendingPathComponent(name).path
            self.temporary = temporary
            slot = InterruptCleanup.register(temporary)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o666)
            guard fd >= 0 else {
                let reason = Files.posixReason(errno)
                InterruptCleanup.unregister(slot)
                throw .failure("cannot write '\(path)': \(reason)")
            }
            pending = true
            // A replaced file keeps its permissions.
            var info = stat()
            if stat(destination.path, &info) == 0 { fchmod(fd, info.st_mode & 0o7777) }
        }
    }

    deinit { abandon() }

    /// Appends bytes.
    func write(_ bytes: [UInt8]) throws(CommandError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = Files.posixReason(errno)
                abandon()
                throw .failure("cannot write '\(path)': \(reason)")
            }
            offset += n
        }
    }

    func write(_ text: String) throws(CommandError) { try write(Array(text.utf8)) }

    /// Puts the file in place.
    func commit() throws(CommandError) {
        guard fd >= 0 else { return }
        let closed = close(fd)
        fd = -1
        guard let temporary else { return }
        guard closed == 0, rename(temporary, destination.path) == 0 else {
            let reason = Files.posixReason(errno)
            abandon()
            throw .failure("cannot write '\(path)': \(reason)")
        }
        pending = false
        InterruptCleanup.unregister(slot)
        slot = nil
    }

    /// Gives up: the temporary file is removed, the destination is untouched.
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        if let temporary, pending {
            unlink(temporary)
            pending = false
        }
        InterruptCleanup.unregister(slot)
        slot = nil
    }

    /// Distinguishes temporary files of one process.
    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}

/// Removes the temporary files of outputs in progress when the process is interrupted.
///
/// The signal handler may only call async-signal-safe functions, so the paths live in a
/// fixed table of C strings allocated up front; the handler unlinks them, restores the
/// default action and raises the signal again (so the exit status still says which signal).
enum InterruptCleanup {
    private static let capacity = 16
    private static let pathBytes = 4096
    nonisolated(unsafe) private static let paths: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()
    nonisolated(unsafe) private static var installed = false
    private static let lock = NSLock()

    /// Records `path` for removal on an interrupt; returns its slot (nil when the table is
    /// full or the path too long: the file is then still removed on errors, not on signals).
    static func register(_ path: String) -> Int? {
        lock.lock(); defer { lock.unlock() }
        install()
        let bytes = Array(path.utf8CString)
        guard bytes.count <= pathBytes else { return nil }
        for i in 0..<capacity where paths[i] == nil {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            copy.initialize(from: bytes, count: bytes.count)
            paths[i] = copy
            return i
        }
        return nil
    }

    static func unregister(_ slot: Int?) {
        guard let slot else { return }
        lock.lock(); defer { lock.unlock() }
        let copy = paths[slot]
        paths[slot] = nil
        copy?.deallocate()
    }

    private static func install() {
        guard !installed else { return }
        installed = true
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            #if os(Linux)
            action.__sigaction_handler.sa_handler = interruptHandler
            #else
            action.__sigaction_u.__sa_handler = interruptHandler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }

    /// Called from the handler: unlinks every registered path.
    fileprivate static func removeAll() {
        for i in 0..<capacity {
            if let path = paths[i] { unlink(path) }
        }
    }
}

private func interruptHandler(_ signal: Int32) {
    InterruptCleanup.removeAll()
    Foundation.signal(signal, SIG_DFL)
    raise(signal)
}
