import Foundation
import NMPSweep

/// A results file that a sweep appends to as its points finish, one whole line per write,
/// so that a sweep stopped at any moment leaves every finished point on record and at most
/// one line cut short. On opening, what is there is read back (`SweepFile`): a file of
/// another sweep is refused, the points it holds are skipped, and a line cut short is cut
/// off so that the next line starts cleanly. An exclusive lock (flock) keeps two sweeps
/// from writing one file.
///
/// Appending is the exception to "outputs are written whole or not at all" (Files): a
/// sweep's output is a record of finished work, and resuming is what makes it whole.
final class SweepOutput {
    let option: String
    let path: String
    /// The points already in the file when it was opened.
    let finished: Set<Int>
    /// Bytes of a line cut short that were removed on opening.
    let droppedBytes: Int
    /// Whether opening created the file (it did not exist).
    private let created: Bool
    private var fd: Int32

    init(option: String, path: String, format: SweepFile.Format, job: SweepJob, shard: Shard) throws(CommandError) {
        self.option = option
        self.path = path
        created = Files.identity(path) == nil
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw .failure("cannot write '\(path)': \(Files.posixReason(errno))") }
        var regular = false
        var bytes: [UInt8] = []
        do throws(CommandError) {
            if flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK {
                throw .failure("\(option) '\(path)' is being written by another nmp sweep")
            }
            var info = stat()
            regular = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
            if regular { bytes = try Files.read(path) }
        } catch {
            Foundation.close(fd)
            throw error
        }
        var finished: Set<Int> = []
        var keep = 0
        do throws(SweepError) {
            let file = format == .csv ? try SweepFile(csv: bytes, keyCount: job.grid.axes.count) : try SweepFile(jsonLines: bytes)
            if let header = file.header, header != job.header {
                throw SweepError("its header does not match this sweep's columns (\(job.header.joined(separator: ","))); give another \(option), or remove the file to start over")
            }
            finished = try job.grid.finishedPoints(file.rows, sweepID: job.sweepID, shard: shard, source: path)
            keep = file.header == nil && format == .csv ? 0 : file.end
        } catch {
            Foundation.close(fd)
            throw .failure(error.message.hasPrefix(path) ? error.message : "\(path): \(error.message)")
        }
        self.finished = finished
        droppedBytes = bytes.count - keep
        if regular && droppedBytes > 0 && ftruncate(fd, off_t(keep)) != 0 {
            let reason = Files.posixReason(errno)
            Foundation.close(fd)
            throw .failure("cannot write '\(path)': \(reason)")
        }
        if regular { lseek(fd, 0, SEEK_END) }
        if format == .csv && (keep == 0 || !regular) { try append(CSV.record(job.header)) }
    }

    deinit { close() }

    /// Closes the file and removes it if opening created it: a sweep that fails before it
    /// runs a point leaves no output behind.
    func discardIfCreated() {
        close()
        if created { unlink(path) }
    }

    /// Closes the file, which releases its lock (at once, not when the last reference goes).
    func close() {
        if fd >= 0 { Foundation.close(fd) }
        fd = -1
    }

    /// Appends one line with one write (repeated only if the system writes part of it).
    func append(_ line: String) throws(CommandError) {
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failure("cannot write '\(path)': \(Files.posixReason(errno))")
            }
            offset += n
        }
    }
}
