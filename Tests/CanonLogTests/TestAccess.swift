@testable import CanonLog

/// Internal entry points the tests compare against.
enum CRC32CTestAccess {
    static func portable(_ bytes: [UInt8]) -> UInt32 { CRC32C.portableChecksum(bytes) }
}

enum LogEngineTestAccess {
    static func ioLoopIterations(_ engine: LogEngine) -> Int { engine.ioLoopIterations }
}

enum CompactionTestAccess {
    /// Runs a cleaning on this thread (the engine runs it on its cleaner's).
    static func run(_ job: CompactionJob) throws -> CompactionOutput? { try Compactor.run(job) }
}
