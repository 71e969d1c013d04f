import CanonLog
import Foundation

/// An in-memory ``LogFileSystem`` for durability tests. It keeps, per file, what was written and what is
/// durable (synced), and per directory which entries are durable; it can cut the power (keep only durable
/// state, optionally with a torn prefix of the unsynced bytes) and fail any call with EIO or ENOSPC.
///
/// `syncsAreNoOps` is the test hook that proves a durability test can fail: syncs report success
/// without making anything durable.
public final class FaultInjectingFileSystem: LogFileSystem, @unchecked Sendable {
    // @unchecked Sendable: every stored property is read and written only while `lock` is held, except
    // the sync gate's (`heldPath`, `_heldSyncs`), only while `released` is held.

    /// A file-system call that a fault can target.
    public enum Operation: String, Sendable, CaseIterable {
        case open, read, write, truncate, preallocate, sync, syncDirectory, remove, rename, createDirectory
    }

    /// An injected failure: the `skip`+1-th matching call fails, and so do `count - 1` more.
    public struct Fault: Sendable {
        public var operation: Operation
        /// Only calls on paths containing this text (all when nil).
        public var path: String?
        public var error: LogError.Code
        public var skip: Int
        public var count: Int

        public init(_ operation: Operation, path: String? = nil, error: LogError.Code = .io, skip: Int = 0, count: Int = 1) {
            self.operation = operation
            self.path = path
            self.error = error
            self.skip = skip
            self.count = count
        }
    }

    /// What a power cut keeps of the bytes written since a file's last sync.
    public enum PowerCut: Sendable {
        /// Nothing: only synced bytes survive.
        case dropUnsynced
        /// A prefix of the unsynced bytes of that many bytes (clamped), as if the last write was torn.
        case tearUnsynced(keep: Int)
    }

    /// A file's bytes; preallocated space past them is kept as a length (reads as zeros) so that large
    /// preallocations cost no memory.
    private struct File {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var allocated = 0
        var durableAllocated = 0

        var size: Int { max(current.count, allocated) }
    }

    private let lock = NSLock()
    private var files: [String: File] = [:]
    private var directories: Set<String> = ["/"]
    /// Directory -> names whose creation (or removal) has been made durable by a directory sync.
    private var durableEntries: [String: Set<String>] = [:]
    /// Files removed since their directory was last synced: a power cut brings them back (durable part).
    private var unsyncedRemovals: [String: File] = [:]
    private var handles: [Int32: String] = [:]
    private var nextHandle: Int32 = 3
    private var faults: [Fault] = []
    /// Locked path -> the handle holding the lock.
    private var locks: [String: Int32] = [:]

    /// When set, `sync` and `syncDirectory` succeed without making anything durable.
    public var syncsAreNoOps: Bool {
        get { lock.withLock { _syncsAreNoOps } }
        set { lock.withLock { _syncsAreNoOps = newValue } }
    }
    private var _syncsAreNoOps = false

    /// How many `sync` calls succeeded (to check that group commit shares them).
    public var syncCount: Int { lock.withLock { _syncCount } }
    private var _syncCount = 0
    /// Files open now (handles not closed).
    public var openHandleCount: Int { lock.withLock { handles.count } }
    /// Bytes returned by `read` so far, per file path.
    public var bytesRead: [String: Int] { lock.withLock { _bytesRead } }
    private var _bytesRead: [String: Int] = [:]

    /// Syncs of files whose path contains this text wait until ``releaseSyncs()`` (a slow disk, to show
    /// who waits for whom).
    private var heldPath: String?
    private var _heldSyncs = 0
    private let released = NSCondition()

    public init() {}

    /// Makes every `sync` of a file whose path contains `path` wait until ``releaseSyncs()``.
    public func holdSyncs(path: String) {
        released.withLock { heldPath = path }
    }

    /// Lets held syncs go on (and no longer holds new ones).
    public func releaseSyncs() {
        released.withLock {
            heldPath = nil
            released.broadcast()
        }
    }

    /// How many syncs are waiting in ``holdSyncs(path:)`` now.
    public var heldSyncs: Int { released.withLock { _heldSyncs } }

    /// Adds a fault.
    public func inject(_ fault: Fault) {
        lock.withLock { faults.append(fault) }
    }

    /// Removes every fault not yet triggered.
    public func clearFaults() {
        lock.withLock { faults = [] }
    }

    /// Cuts the power: every file goes back to its durable bytes (plus a torn prefix of its unsynced
    /// bytes), files whose directory entry was never synced disappear, open handles and locks are gone.
    public func cutPower(_ mode: PowerCut = .dropUnsynced) {
        lock.withLock {
            for (path, file) in files {
                let (dir, name) = Self.split(path)
                guard durableEntries[dir, default: []].contains(name) else {
                    files[path] = nil
                    continue
                }
                var kept = file.durable
                if case .tearUnsynced(let keep) = mode,
                    let first = zip(file.current.indices, zip(file.current, file.durable)).first(where: { $0.1.0 != $0.1.1 })?.0
                        ?? (file.current.count > file.durable.count ? file.durable.count : nil)
                {
                    // The torn write: a prefix of the first unsynced change lands, nothing after it.
                    let end = min(file.current.count, first + max(0, keep))
                    if kept.count < end { kept += [UInt8](repeating: 0, count: end - kept.count) }
                    if first < end { kept.replaceSubrange(first..<end, with: file.current[first..<end]) }
                }
                files[path] = File(current: kept, durable: kept, allocated: file.durableAllocated, durableAllocated: file.durableAllocated)
            }
            for (path, file) in unsyncedRemovals { files[path] = file }
            unsyncedRemovals = [:]
            handles = [:]
            locks = [:]
        }
    }

    /// The bytes of a file as they are now (written, synced or not).
    public func contents(_ path: String) -> [UInt8]? {
        lock.withLock { files[path]?.current }
    }

    /// The number of bytes written to a file since its last sync (0 when in step).
    public func unsyncedByteCount(_ path: String) -> Int {
        lock.withLock {
            guard let f = files[path] else { return 0 }
            return f.current == f.durable ? 0 : max(1, f.current.count - f.durable.count)
        }
    }

    // MARK: - LogFileSystem

    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = path[..<slash]
        return (dir.isEmpty ? "/" : String(dir), String(path[path.index(after: slash)...]))
    }

    /// Throws the first matching fault, if any (call with the lock held).
    private func checkFault(_ operation: Operation, _ path: String) throws(LogError) {
        for i in faults.indices where faults[i].operation == operation && (faults[i].path.map { path.contains($0) } ?? true) {
            if faults[i].skip > 0 {
                faults[i].skip -= 1
                continue
            }
            let fault = faults[i]
            faults[i].count -= 1
            if faults[i].count <= 0 { faults.remove(at: i) }
            let text = fault.error == .noSpace ? "No space left on device" : "Input/output error"
            throw LogError(fault.error, "\(operation.rawValue) failed: \(text) (injected)", location: LogError.Location(file: path))
        }
    }

    private func path(of handle: LogFileHandle) throws(LogError) -> String {
        guard let p = handles[handle.id] else { throw LogError(.io, "bad file handle \(handle.id)") }
        return p
    }

    private func locked<R>(_ body: () throws(LogError) -> R) throws(LogError) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func createDirectory(_ path: String) throws(LogError) {
        try locked { () throws(LogError) in
            try checkFault(.createDirectory, path)
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += "/" + part
                directories.insert(prefix)
            }
        }
    }

    public func contentsOfDirectory(_ path: String) throws(LogError) -> [String] {
        lock.withLock {
            let prefix = path.hasSuffix("/") ? path : path + "/"
            var names = Set<String>()
            for p in files.keys where p.hasPrefix(prefix) {
                let rest = p.dropFirst(prefix.count)
                names.insert(String(rest.split(separator: "/")[0]))
            }
            for d in directories where d.hasPrefix(prefix) {
                names.insert(String(d.dropFirst(prefix.count).split(separator: "/")[0]))
            }
            return names.sorted()
        }
    }

    public func fileExists(_ path: String) -> Bool {
        lock.withLock { files[path] != nil || directories.contains(path) }
    }

    public func open(_ path: String, create: Bool) throws(LogError) -> LogFileHandle {
        try locked { () throws(LogError) -> LogFileHandle in
            try checkFault(.open, path)
            if files[path] == nil {
                guard create else { throw LogError(.io, "open failed: No such file or directory", location: .init(file: path)) }
                guard directories.contains(Self.split(path).0) else {
                    throw LogError(.io, "open failed: No such file or directory (no parent directory)", location: .init(file: path))
                }
                files[path] = File()
            }
            let id = nextHandle
            nextHandle += 1
            handles[id] = path
            return LogFileHandle(id: id)
        }
    }

    public func close(_ handle: LogFileHandle) {
        lock.withLock {
            if let p = handles.removeValue(forKey: handle.id) {
                if locks[p] == handle.id { locks[p] = nil }
                if p.hasPrefix("\u{0}removed-") { files[p] = nil }  // the last name of a removed file is gone
            }
        }
    }

    public func size(_ handle: LogFileHandle) throws(LogError) -> Int {
        try locked { () throws(LogError) -> Int in files[try path(of: handle)]?.size ?? 0 }
    }

    public func read(_ handle: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        try locked { () throws(LogError) -> [UInt8] in
            let p = try path(of: handle)
            try checkFault(.read, p)
            guard let file = files[p], offset < file.size else { return [] }
            let end = min(file.size, offset + count)
            var out = offset < file.current.count ? Array(file.current[offset..<min(file.current.count, end)]) : []
            if out.count < end - offset { out += [UInt8](repeating: 0, count: end - offset - out.count) }
            _bytesRead[p, default: 0] += out.count
            return out
        }
    }

    public func write(_ handle: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        try locked { () throws(LogError) in
            let p = try path(of: handle)
            try checkFault(.write, p)
            var file = files[p] ?? File()
            if file.current.count < offset { file.current += [UInt8](repeating: 0, count: offset - file.current.count) }
            let end = offset + bytes.count
            if file.current.count < end { file.current += [UInt8](repeating: 0, count: end - file.current.count) }
            file.current.replaceSubrange(offset..<end, with: bytes)
            files[p] = file
        }
    }

    public func truncate(_ handle: LogFileHandle, to size: Int) throws(LogError) {
        try locked { () throws(LogError) in
            let p = try path(of: handle)
            try checkFault(.truncate, p)
            var file = files[p] ?? File()
            if file.current.count > size {
                file.current.removeLast(file.current.count - size)
            } else {
                file.current += [UInt8](repeating: 0, count: size - file.current.count)
            }
            file.allocated = size
            files[p] = file
        }
    }

    public func preallocate(_ handle: LogFileHandle, to size: Int) throws(LogError) {
        try locked { () throws(LogError) in
            let p = try path(of: handle)
            try checkFault(.preallocate, p)
            guard var file = files[p] else { return }
            file.allocated = max(file.allocated, size)
            files[p] = file
        }
    }

    public func sync(_ handle: LogFileHandle) throws(LogError) {
        if let p = lock.withLock({ handles[handle.id] }) {
            released.withLock {
                guard let held = heldPath, p.contains(held) else { return }
                _heldSyncs += 1
                while let held = heldPath, p.contains(held) { released.wait() }
                _heldSyncs -= 1
            }
        }
        try locked { () throws(LogError) in
            let p = try path(of: handle)
            try checkFault(.sync, p)
            _syncCount += 1
            guard !_syncsAreNoOps, var file = files[p] else { return }
            file.durable = file.current
            file.durableAllocated = file.allocated
            files[p] = file
        }
    }

    public func syncDirectory(_ path: String) throws(LogError) {
        try locked { () throws(LogError) in
            try checkFault(.syncDirectory, path)
            guard !_syncsAreNoOps else { return }
            let prefix = path.hasSuffix("/") ? path : path + "/"
            durableEntries[path] = Set(
                files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                    .map { String($0.dropFirst(prefix.count)) })
            for removed in unsyncedRemovals.keys where removed.hasPrefix(prefix) && !removed.dropFirst(prefix.count).contains("/") {
                unsyncedRemovals[removed] = nil
            }
        }
    }

    public func remove(_ path: String) throws(LogError) {
        try locked { () throws(LogError) in
            try checkFault(.remove, path)
            guard let removed = files.removeValue(forKey: path) else {
                throw LogError(.io, "unlink failed: No such file or directory", location: .init(file: path))
            }
            // As with unlink: handles still open keep the removed file (an inode without a name), and a
            // new file at the path is another file.
            for (handle, open) in handles where open == path {
                let orphan = "\u{0}removed-\(handle)"
                handles[handle] = orphan
                files[orphan] = removed
            }
            let (dir, name) = Self.split(path)
            if durableEntries[dir, default: []].contains(name) {
                unsyncedRemovals[path] = File(
                    current: removed.durable, durable: removed.durable, allocated: removed.durableAllocated,
                    durableAllocated: removed.durableAllocated)
            }
        }
    }

    public func removeDirectory(_ path: String) throws(LogError) {
        try locked { () throws(LogError) in
            try checkFault(.remove, path)
            let prefix = path + "/"
            guard directories.contains(path) else {
                throw LogError(.io, "rmdir failed: No such file or directory", location: .init(file: path))
            }
            guard !files.keys.contains(where: { $0.hasPrefix(prefix) }), !directories.contains(where: { $0.hasPrefix(prefix) }) else {
                throw LogError(.io, "rmdir failed: Directory not empty", location: .init(file: path))
            }
            directories.remove(path)
        }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        try locked { () throws(LogError) in
            try checkFault(.rename, from)
            guard let file = files.removeValue(forKey: from) else {
                throw LogError(.io, "rename failed: No such file or directory", location: .init(file: from))
            }
            files[to] = file
        }
    }

    public func lockExclusively(_ path: String) throws(LogError) -> LogFileHandle {
        let handle = try open(path, create: true)
        return try locked { () throws(LogError) -> LogFileHandle in
            guard locks[path] == nil else {
                handles[handle.id] = nil
                throw LogError(.locked, "the data directory is locked by another process (pid \(getpid()))", location: .init(file: path))
            }
            locks[path] = handle.id
            return handle
        }
    }
}
