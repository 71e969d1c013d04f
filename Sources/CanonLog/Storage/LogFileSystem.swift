/// An open file of a ``LogFileSystem``.
public struct LogFileHandle: Hashable, Sendable {
    /// The descriptor (POSIX) or the fault-injecting file system's handle number.
    public let id: Int32

    public init(id: Int32) { self.id = id }
}

/// Every file access of the log engine goes through this protocol: ``PosixFileSystem`` for real, and
/// `FaultInjectingFileSystem` (CanonLogTestKit) in tests, which tracks what is durable and can cut the power, tear the last
/// write and fail any call with EIO or ENOSPC.
///
/// Every call throws a ``LogError`` (code `io` or `noSpace`) naming the file; nothing traps.
public protocol LogFileSystem: Sendable {
    /// Creates a directory and its parents; no error when it exists.
    func createDirectory(_ path: String) throws(LogError)
    /// The names in a directory (not `.` or `..`), sorted.
    func contentsOfDirectory(_ path: String) throws(LogError) -> [String]
    func fileExists(_ path: String) -> Bool
    /// Opens a file for reading and writing, creating it (empty) when `create` is set and it is missing.
    func open(_ path: String, create: Bool) throws(LogError) -> LogFileHandle
    func close(_ handle: LogFileHandle)
    func size(_ handle: LogFileHandle) throws(LogError) -> Int
    /// Up to `count` bytes from `offset` (fewer at the end of the file).
    func read(_ handle: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8]
    /// Writes all of `bytes` at `offset`, or throws.
    func write(_ handle: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError)
    func truncate(_ handle: LogFileHandle, to size: Int) throws(LogError)
    /// Reserves disk space so that the file is at least `size` bytes, the new bytes reading as zeros
    /// (`fallocate`); where the file system cannot, it does nothing. Never shrinks the file.
    func preallocate(_ handle: LogFileHandle, to size: Int) throws(LogError)
    /// Makes the file's data durable (`fdatasync`).
    func sync(_ handle: LogFileHandle) throws(LogError)
    /// Makes a directory's entries durable (files created, renamed or removed in it).
    func syncDirectory(_ path: String) throws(LogError)
    func remove(_ path: String) throws(LogError)
    /// Removes an empty directory.
    func removeDirectory(_ path: String) throws(LogError)
    func rename(_ from: String, to: String) throws(LogError)
    /// Takes an exclusive lock on `path` for as long as the returned handle is open; when another
    /// holder has it, throws `locked` naming the holder's process id (written into the lock file).
    func lockExclusively(_ path: String) throws(LogError) -> LogFileHandle
}

extension LogFileSystem {
    /// The whole content of a file.
    public func readAll(_ path: String) throws(LogError) -> [UInt8] {
        let handle = try open(path, create: false)
        defer { close(handle) }
        return try read(handle, at: 0, count: try size(handle))
    }
}
