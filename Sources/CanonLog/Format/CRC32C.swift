import CCRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's record batch v2. Uses the CPU's `crc32` instruction
/// when it has one (checked at run time), else slicing-by-8.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        canon_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The portable implementation alone, for comparing both paths in tests.
    static func portableChecksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { canon_crc32c_portable(0, $0.baseAddress, $0.count) }
    }

    /// Whether the hardware instruction is used on this machine.
    public static var usesHardware: Bool { canon_crc32c_hardware() != 0 }
}
