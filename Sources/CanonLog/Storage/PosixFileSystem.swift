#if canImport(Glibc)
    import Glibc
    private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { Glibc.open(path, flags) }
    private func systemClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    private func systemRename(_ from: String, _ to: String) -> Int32 { Glibc.rename(from, to) }
#elseif canImport(Darwin)
    import Darwin
    private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { Darwin.open(path, flags) }
    private func systemClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
    private func systemRename(_ from: String, _ to: String) -> Int32 { Darwin.rename(from, to) }
#endif
import SystemPackage

/// The real file system: throwing POSIX calls through swift-system (never Foundation's trapping
/// `FileHandle` methods). Calls block; the engine runs them on its own I/O thread.
public struct PosixFileSystem: LogFileSystem {
    public init() {}

    /// The process's open-file limit (`RLIMIT_NOFILE`, soft).
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(1 << 40) else { return 1 << 20 }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the process's soft open-file limit to its hard limit (as a server does at start); returns
    /// the soft limit in force after.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return descriptorLimit()
    }

    private func failure(_ errno: Errno, _ what: String, _ path: String) -> LogError {
        let code: LogError.Code = errno == .noSpace ? .noSpace : .io
        return LogError(code, "\(what) failed: \(errno)", location: LogError.Location(file: path))
    }

    private func failure(_ what: String, _ path: String) -> LogError {
        failure(Errno(rawValue: errno), what, path)
    }

    public func createDirectory(_ path: String) throws(LogError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw failure("mkdir", prefix) }
            prefix += "/"
        }
    }

    public func contentsOfDirectory(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func open(_ path: String, create: Bool) throws(LogError) -> LogFileHandle {
        do {
            let fd = try FileDescriptor.open(
                FilePath(path), .readWrite, options: create ? [.create, .closeOnExec] : [.closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
            return LogFileHandle(id: fd.rawValue)
        } catch {
            throw failure(error as? Errno ?? .ioError, "open", path)
        }
    }

    public func close(_ handle: LogFileHandle) {
        try? FileDescriptor(rawValue: handle.id).close()
    }

    public func size(_ handle: LogFileHandle) throws(LogError) -> Int {
        var info = stat()
        guard fstat(handle.id, &info) == 0 else { throw failure("fstat", "fd \(handle.id)") }
        return Int(info.st_size)
    }

    public func read(_ handle: LogFileHandle, at offset: Int, count: Int) throws(LogError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n: Int
            do {
                n = try result.withUnsafeMutableBytes { raw in
                    try FileDescriptor(rawValue: handle.id).read(
                        fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]))
                }
            } catch {
                throw failure(error as? Errno ?? .ioError, "pread", "fd \(handle.id)")
            }
            if n == 0 { break }
            done += n
        }
        result.removeLast(count - done)
        return result
    }

    public func write(_ handle: LogFileHandle, _ bytes: [UInt8], at offset: Int) throws(LogError) {
        do {
            _ = try bytes.withUnsafeBytes { raw in
                try FileDescriptor(rawValue: handle.id).writeAll(toAbsoluteOffset: Int64(offset), raw)
            }
        } catch {
            throw failure(error as? Errno ?? .ioError, "pwrite", "fd \(handle.id)")
        }
    }

    public func truncate(_ handle: LogFileHandle, to size: Int) throws(LogError) {
        guard ftruncate(handle.id, off_t(size)) == 0 else { throw failure("ftruncate", "fd \(handle.id)") }
    }

    public func preallocate(_ handle: LogFileHandle, to size: Int) throws(LogError) {
        #if canImport(Glibc)
            let e = posix_fallocate(handle.id, 0, off_t(size))
            guard e == 0 else {
                if e == EOPNOTSUPP || e == ENOSYS || e == EINVAL { return }  // the file system cannot: files grow as written
                throw failure(Errno(rawValue: e), "posix_fallocate", "fd \(handle.id)")
            }
        #endif
    }

    public func sync(_ handle: LogFileHandle) throws(LogError) {
        #if canImport(Glibc)
            let status = fdatasync(handle.id)
        #else
            let status = fsync(handle.id)
        #endif
        guard status == 0 else { throw failure("fdatasync", "fd \(handle.id)") }
    }

    public func syncDirectory(_ path: String) throws(LogError) {
        let fd = systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory", path) }
        defer { _ = systemClose(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory", path) }
    }

    public func remove(_ path: String) throws(LogError) {
        guard unlink(path) == 0 else { throw failure("unlink", path) }
    }

    public func removeDirectory(_ path: String) throws(LogError) {
        guard rmdir(path) == 0 else { throw failure("rmdir", path) }
    }

    public func rename(_ from: String, to: String) throws(LogError) {
        guard systemRename(from, to) == 0 else { throw failure("rename to \(to)", from) }
    }

    public func lockExclusively(_ path: String) throws(LogError) -> LogFileHandle {
        let handle = try open(path, create: true)
        guard flock(handle.id, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                (try? read(handle, at: 0, count: 32)).flatMap { String(validating: $0, as: UTF8.self) }?
                .trimmingTrailingNewline ?? "unknown"
            close(handle)
            throw LogError(
                .locked, "the data directory is locked by another process (pid \(holder))", location: LogError.Location(file: path))
        }
        let pid = Array("\(getpid())\n".utf8)
        try truncate(handle, to: 0)
        try write(handle, pid, at: 0)
        return handle
    }
}

extension String {
    fileprivate var trimmingTrailingNewline: String {
        var s = Substring(self)
        while s.last == "\n" || s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
