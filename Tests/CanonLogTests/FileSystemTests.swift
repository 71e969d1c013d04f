import CanonLog
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Testing

@Suite struct PosixFileSystemTests {
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("canon-log-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func filesAreWrittenReadTruncatedRenamedAndRemoved() throws {
        let fs = PosixFileSystem()
        let dir = Self.temporaryDirectory() + "/a/b"
        try fs.createDirectory(dir)
        try fs.createDirectory(dir)  // exists: fine
        let file = dir + "/00000000000000000000.log"
        let h = try fs.open(file, create: true)
        try fs.write(h, Array("hello".utf8), at: 0)
        try fs.write(h, Array("world".utf8), at: 10)
        #expect(try fs.size(h) == 15)
        #expect(try fs.read(h, at: 0, count: 100) == Array("hello".utf8) + [0, 0, 0, 0, 0] + Array("world".utf8))
        try fs.sync(h)
        try fs.truncate(h, to: 5)
        #expect(try fs.read(h, at: 0, count: 100) == Array("hello".utf8))
        fs.close(h)
        try fs.syncDirectory(dir)
        try fs.rename(file, to: dir + "/x.log")
        #expect(try fs.contentsOfDirectory(dir) == ["x.log"])
        #expect(try fs.readAll(dir + "/x.log") == Array("hello".utf8))
        try fs.remove(dir + "/x.log")
        #expect(!fs.fileExists(dir + "/x.log"))
    }

    @Test func errorsNameTheFileAndNeverTrap() {
        let fs = PosixFileSystem()
        let error = #expect(throws: LogError.self) { try fs.open("/nonexistent-dir/file", create: true) }
        #expect(error?.code == .io)
        #expect(error?.location.file == "/nonexistent-dir/file")
        #expect(throws: LogError.self) { try fs.remove("/nonexistent-dir/file") }
        #expect(throws: LogError.self) { try fs.contentsOfDirectory("/nonexistent-dir") }
    }

    @Test func aSecondProcessCannotLockTheDirectoryAndIsToldTheHoldersPid() throws {
        let fs = PosixFileSystem()
        let lockFile = Self.temporaryDirectory() + "/.lock"
        let held = try fs.lockExclusively(lockFile)
        // flock is per open file description: another process (python) must fail to take it.
        let script =
            "import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n  fcntl.flock(f,fcntl.LOCK_EX|fcntl.LOCK_NB); print('got')\nexcept OSError: print('busy')"
        #expect(try runProcess(python3(), ["-c", script, lockFile]).stdoutText == "busy\n")
        // In this process too, a second open file description is refused, naming our pid.
        let error = #expect(throws: LogError.self) { try fs.lockExclusively(lockFile) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true)
        fs.close(held)
        #expect(try runProcess(python3(), ["-c", script, lockFile]).stdoutText == "got\n")
    }
}

@Suite struct FaultInjectingFileSystemTests {
    static func setUp() throws -> (FaultInjectingFileSystem, LogFileHandle) {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/data/t-0")
        let h = try fs.open("/data/t-0/seg.log", create: true)
        try fs.syncDirectory("/data/t-0")
        return (fs, h)
    }

    @Test func powerCutKeepsOnlySyncedBytes() throws {
        let (fs, h) = try Self.setUp()
        try fs.write(h, [1, 2, 3], at: 0)
        try fs.sync(h)
        try fs.write(h, [4, 5, 6], at: 3)
        #expect(fs.unsyncedByteCount("/data/t-0/seg.log") == 3)
        fs.cutPower()
        #expect(fs.contents("/data/t-0/seg.log") == [1, 2, 3])
        #expect(throws: LogError.self) { try fs.size(h) }  // handles are gone
    }

    @Test func tornWriteKeepsAPrefixOfTheUnsyncedBytes() throws {
        let (fs, h) = try Self.setUp()
        try fs.write(h, [1, 2, 3], at: 0)
        try fs.sync(h)
        try fs.write(h, [4, 5, 6, 7], at: 3)
        fs.cutPower(.tearUnsynced(keep: 2))
        #expect(fs.contents("/data/t-0/seg.log") == [1, 2, 3, 4, 5])
    }

    @Test func aFileWhoseDirectoryWasNeverSyncedVanishes() throws {
        let (fs, _) = try Self.setUp()
        let h = try fs.open("/data/t-0/new.log", create: true)
        try fs.write(h, [9], at: 0)
        try fs.sync(h)
        fs.cutPower()
        #expect(fs.contents("/data/t-0/new.log") == nil)
        #expect(fs.contents("/data/t-0/seg.log") == [])
    }

    @Test func injectedFaultsHitTheRightCall() throws {
        let (fs, h) = try Self.setUp()
        fs.inject(.init(.write, path: "seg.log", error: .noSpace, skip: 2))
        try fs.write(h, [1], at: 0)
        try fs.write(h, [2], at: 1)
        let error = #expect(throws: LogError.self) { try fs.write(h, [3], at: 2) }
        #expect(error?.code == .noSpace)
        try fs.write(h, [3], at: 2)  // the fault fired once
        fs.inject(.init(.sync, error: .io))
        #expect(throws: LogError.self) { try fs.sync(h) }
        #expect(fs.contents("/data/t-0/seg.log") == [1, 2, 3])
    }

    @Test func noOpSyncsLoseEverythingOnAPowerCut() throws {
        let (fs, h) = try Self.setUp()
        fs.syncsAreNoOps = true
        try fs.write(h, [1, 2, 3], at: 0)
        try fs.sync(h)
        fs.cutPower()
        #expect(fs.contents("/data/t-0/seg.log") == [])
    }

    @Test func theLockIsExclusiveUntilClosed() throws {
        let (fs, _) = try Self.setUp()
        let held = try fs.lockExclusively("/data/.lock")
        #expect(throws: LogError.self) { try fs.lockExclusively("/data/.lock") }
        fs.close(held)
        _ = try fs.lockExclusively("/data/.lock")
    }
}
