import CanonTestSupport
import Testing
@testable import CanonCodecs

/// Tests of the raw Snappy block codec used by Avro's `snappy` codec.
@Suite("Snappy raw block codec")
struct SnappyTests {
    /// The kinds of input the round-trip test runs over.
    private enum Pattern: CaseIterable {
        case random, singleByte, shortPeriod, words, slowRuns, backReferences
    }

    private static func makeInput(_ pattern: Pattern, count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(state: seed)
        switch pattern {
        case .random:
            return (0..<count).map { _ in generator.byte() }
        case .singleByte:
            return [UInt8](repeating: 0x41, count: count)
        case .shortPeriod:
            let period = (0..<1 + generator.below(12)).map { _ in generator.byte() }
            return (0..<count).map { period[$0 % period.count] }
        case .words:
            let words = ["avro", "schema", "record", "field", " ", "\n", "snappy", "block", "long", "string"]
            var output = [UInt8]()
            output.reserveCapacity(count + 8)
            while output.count < count {
                output += words[generator.below(words.count)].utf8
            }
            return Array(output.prefix(count))
        case .slowRuns:
            return (0..<count).map { UInt8(truncatingIfNeeded: $0 / 300) }
        case .backReferences:
            // Random runs mixed with copies from up to ~70 KB back, so that
            // matches cross and exceed the 64 KiB fragment size.
            var output = [UInt8]()
            output.reserveCapacity(count + 200)
            while output.count < count {
                if output.count > 16 && generator.below(2) == 0 {
                    let length = 1 + generator.below(200)
                    let distance = 1 + generator.below(min(output.count, 70_000))
                    for _ in 0..<length {
                        output.append(output[output.count - distance])
                    }
                } else {
                    for _ in 0..<1 + generator.below(100) {
                        output.append(UInt8(truncatingIfNeeded: generator.next() % 7))
                    }
                }
            }
            return Array(output.prefix(count))
        }
    }

    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        func value(_ digit: UInt8) -> UInt8 {
            digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10
        }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    /// Decompresses `block` and returns the error, or `nil` (recording an issue)
    /// when it decodes.
    private static func decompressionError(
        _ block: [UInt8], maxOutputSize: Int = 1 << 20, sourceLocation: SourceLocation = #_sourceLocation
    ) -> SnappyError? {
        do {
            let output = try Snappy.decompress(block, maxOutputSize: maxOutputSize)
            Issue.record("expected an error, decoded \(output.count) bytes", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("compress then decompress returns the input for every size and pattern")
    func roundTripOverSizesAndPatterns() throws {
        let sizes = Array(0...70) + [100, 255, 256, 1000, 4096, 65_535, 65_536, 65_537, 131_073, 200_000]
        for pattern in Pattern.allCases {
            for (index, size) in sizes.enumerated() {
                let input = Self.makeInput(pattern, count: size, seed: UInt64(index))
                let compressed = Snappy.compress(input)
                #expect(compressed.count <= 32 + size + size / 6, "\(pattern), \(size) bytes")
                let output = try Snappy.decompress(compressed, maxOutputSize: size)
                #expect(output == input, "\(pattern), \(size) bytes")
            }
        }
    }

    @Test("repetitive input really shrinks")
    func repetitiveInputShrinks() {
        let zeros = [UInt8](repeating: 0, count: 100_000)
        #expect(Snappy.compress(zeros).count < 5_000)
        let words = Self.makeInput(.words, count: 100_000, seed: 7)
        #expect(Snappy.compress(words).count < 50_000)
        let slowRuns = Self.makeInput(.slowRuns, count: 100_000, seed: 7)
        #expect(Snappy.compress(slowRuns).count < 10_000)
    }

    @Test("empty and one-byte inputs compress to the minimal blocks")
    func emptyAndOneByteInputs() throws {
        #expect(Snappy.compress([]) == [0x00])
        #expect(Snappy.compress([0x61]) == [0x01, 0x00, 0x61])
        #expect(try Snappy.decompress([0x00], maxOutputSize: 0) == [])
        #expect(try Snappy.decompress([0x01, 0x00, 0x61], maxOutputSize: 1) == [0x61])
    }

    @Test("blocks compressed by a reference implementation decompress")
    func decompressesReferenceBlocks() throws {
        // Hex obtained from Python's cramjam 2.14.0 (`cramjam.snappy.compress_raw`),
        // a binding of a widely used Snappy implementation.
        let vectors: [(input: [UInt8], compressedHex: String)] = [
            ([], "00"),
            (Array("a".utf8), "010061"),
            (Array("hello hello hello hello".utf8), "171468656c6c6f20420600"),
            ([UInt8](repeating: UInt8(ascii: "a"), count: 100), "640061fe01008a0100"),
            (
                Array(0..<100),
                "64f063000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324"
                    + "25262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a"
                    + "4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263"
            ),
            (
                (0..<768).map { UInt8(truncatingIfNeeded: $0) },
                "8006f40501000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
                    + "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546"
                    + "4748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c"
                    + "6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192"
                    + "939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8"
                    + "b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcddde"
                    + "dfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0001020304"
                    + "05fe0001fe0001fe0001fe0001fe0001fe0001fe0001e60001"
            ),
            (
                Array("Avro object container files use raw Snappy blocks; Avro object container files!".utf8),
                "4fd04176726f206f626a65637420636f6e7461696e65722066696c6573207573652072617720"
                    + "536e6170707920626c6f636b733b2041766233000021"
            ),
        ]
        for vector in vectors {
            let compressed = Self.bytes(hex: vector.compressedHex)
            let output = try Snappy.decompress(compressed, maxOutputSize: vector.input.count)
            #expect(output == vector.input, "\(vector.compressedHex.prefix(16))...")
            // Our own compressor need not produce the same bytes, but must round-trip.
            let roundTripped = try Snappy.decompress(Snappy.compress(vector.input), maxOutputSize: vector.input.count)
            #expect(roundTripped == vector.input)
        }
    }

    @Test("hand-assembled elements of every kind decode")
    func decodesEveryElementKind() throws {
        // The overlapping-copy example of the format description: "xab", then a copy
        // of length 4 from offset 2 (1-byte-offset form).
        #expect(try Snappy.decompress(Self.bytes(hex: "07087861620102"), maxOutputSize: 7) == Array("xababab".utf8))
        // "abcd", then a copy of length 4 from offset 4 in the 4-byte-offset form.
        #expect(
            try Snappy.decompress(Self.bytes(hex: "080c616263640f04000000"), maxOutputSize: 8)
                == Array("abcdabcd".utf8))
        // "a", then a run from offset 1 in the 2-byte-offset form (length 64).
        #expect(
            try Snappy.decompress(Self.bytes(hex: "410061fe0100"), maxOutputSize: 65)
                == [UInt8](repeating: 0x61, count: 65))
        // The same 5-byte literal with its length in 1, 2, 3 and 4 extra bytes.
        for hex in ["05f0040102030405", "05f404000102030405", "05f80400000102030405", "05fc040000000102030405"] {
            #expect(try Snappy.decompress(Self.bytes(hex: hex), maxOutputSize: 5) == [1, 2, 3, 4, 5], "\(hex)")
        }
    }

    @Test("malformed blocks throw SnappyError at the offending offset")
    func malformedInputsThrow() {
        let cases: [(hex: String, offset: Int, what: String)] = [
            ("", 0, "empty input"),
            ("80", 1, "truncated preamble"),
            ("ffffffffff01", 5, "preamble longer than 5 bytes"),
            ("8080808010", 0, "preamble above 2^32 - 1"),
            ("0a0061", 3, "elements end before the declared length"),
            ("0100", 1, "literal tag without its byte"),
            ("000061", 1, "element after the declared 0 bytes"),
            ("01046162", 1, "literal longer than the declared length"),
            ("050c616263", 1, "literal running past the end of the input"),
            ("05f0", 1, "truncated literal length"),
            ("05fc04000000", 1, "literal with a 4-byte length and no data"),
            ("0501", 1, "truncated 1-byte-offset copy"),
            ("0502ff", 1, "truncated 2-byte-offset copy"),
            ("0503ffff", 1, "truncated 4-byte-offset copy"),
            ("0500610100", 3, "copy with offset 0"),
            ("0501ff", 1, "copy before any output"),
            ("0800610105", 3, "copy reaching before the start of the output"),
            ("050061030000000100", 3, "copy with a 4-byte offset reaching before the start"),
            ("0400610101", 3, "copy past the declared length"),
            ("0600610101", 5, "elements decode to fewer bytes than declared"),
        ]
        for testCase in cases {
            let error = Self.decompressionError(Self.bytes(hex: testCase.hex))
            #expect(error?.offset == testCase.offset, "\(testCase.what): \(error?.message ?? "no error")")
        }
    }

    @Test("a block larger than maxOutputSize is rejected")
    func maxOutputSizeIsEnforced() throws {
        let input = Self.makeInput(.words, count: 1000, seed: 3)
        let compressed = Snappy.compress(input)
        #expect(try Snappy.decompress(compressed, maxOutputSize: 1000) == input)
        #expect(Self.decompressionError(compressed, maxOutputSize: 999)?.offset == 0)
        #expect(Self.decompressionError([0x01, 0x00, 0x61], maxOutputSize: -1)?.offset == 0)
        // A tiny block claiming a huge output is rejected before allocating it.
        #expect(Self.decompressionError([0xff, 0xff, 0xff, 0x7f, 0x00, 0x61], maxOutputSize: Int.max) != nil)
    }

    @Test("truncated and mutated blocks throw or decode, never trap")
    func truncatedAndMutatedBlocksNeverTrap() {
        var generator = SplitMix64(state: 99)
        for pattern in [Pattern.words, .backReferences, .random, .singleByte] {
            let input = Self.makeInput(pattern, count: 3000, seed: 5)
            let compressed = Snappy.compress(input)
            // Every proper prefix of a block is malformed.
            for cut in 0..<compressed.count {
                #expect(Self.decompressionError(Array(compressed.prefix(cut))) != nil, "\(pattern) cut at \(cut)")
            }
            // Random edits must decode to something or throw, with an offset inside the input.
            for _ in 0..<300 {
                var mutated = compressed
                for _ in 0..<1 + generator.below(3) {
                    switch generator.below(3) {
                    case 0: mutated[generator.below(mutated.count)] = generator.byte()
                    case 1: mutated.remove(at: generator.below(mutated.count))
                    default: mutated.insert(generator.byte(), at: generator.below(mutated.count + 1))
                    }
                }
                do {
                    _ = try Snappy.decompress(mutated, maxOutputSize: 1 << 20)
                } catch {
                    #expect(error.offset >= 0 && error.offset <= mutated.count)
                }
            }
        }
    }
}
