@testable import CanonLog

/// Internal entry points the tests compare against.
enum CRC32CTestAccess {
    static func portable(_ bytes: [UInt8]) -> UInt32 { CRC32C.portableChecksum(bytes) }
}

enum LogEngineTestAccess {
    static func ioLoopIterations(_ engine: LogEngine) -> Int { engine.ioLoopIterations }
}
