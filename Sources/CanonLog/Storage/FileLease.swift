import CanonCore

/// A partition's open files as its running syncs see them. A sync (the segment's `fdatasync`, the
/// acknowledged mark's write) runs on a sync thread with descriptors taken on the I/O thread; closing
/// them meanwhile (a topic deleted, a partition parked, the log released) would let the number be
/// reused by another file under the running sync, which would then write that file's byte 0. So files
/// are closed through the lease: at once when no sync uses them, else when the last one is over.
final class FileLease: Sendable {
    private let state = Locked<(inUse: Int, toClose: [LogFileHandle])>((0, []))
    private let fs: any LogFileSystem

    init(_ fs: any LogFileSystem) { self.fs = fs }

    /// Syncs running with the files.
    var inUse: Int { state.value.inUse }

    /// A sync starts with the files (taken on the I/O thread, with its ticket).
    func acquire() { state.withValue { $0.inUse += 1 } }

    /// A sync is over: files waiting for it are closed when it was the last.
    func release() {
        let closing = state.withValue { s -> [LogFileHandle] in
            s.inUse -= 1
            guard s.inUse == 0 else { return [] }
            defer { s.toClose = [] }
            return s.toClose
        }
        for handle in closing { fs.close(handle) }
    }

    /// Closes `handles` now, or when the running syncs are over.
    func close(_ handles: [LogFileHandle]) {
        let now = state.withValue { s -> Bool in
            if s.inUse == 0 { return true }
            s.toClose += handles
            return false
        }
        if now { for handle in handles { fs.close(handle) } }
    }
}
