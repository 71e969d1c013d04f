import Testing
@testable import CanonAvro

/// Known-answer tests for the MD5 (RFC 1321) and SHA-256 (FIPS 180-4) digests used
/// for Avro schema fingerprints. Expected values come from RFC 1321's test suite,
/// the NIST example messages, and Python's `hashlib` for the padding-edge lengths.
@Suite("MD5 and SHA-256 digests")
struct DigestTests {
    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    /// The message `(i * 7 + 3) mod 256` for `i` in `0 ..< count`, matching the
    /// Python expression used to compute the padding-edge expectations.
    private static func patternMessage(count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    }

    private static let nist448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    private static let nist896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
        + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

    @Test("MD5 matches the RFC 1321 test suite and NIST example messages")
    func md5KnownVectors() {
        let vectors: [(message: String, digest: String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f"
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a"
            ),
            ("The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"),
            (Self.nist448, "8215ef0796a20bcaaae116d3876c664a"),
            (Self.nist896, "03dd8807a93175fb062dfb55dc7d359c"),
        ]
        for vector in vectors {
            #expect(Self.hex(MD5.digest(Array(vector.message.utf8))) == vector.digest, "MD5(\"\(vector.message)\")")
        }
    }

    @Test("SHA-256 matches the FIPS 180-4 / NIST example messages")
    func sha256KnownVectors() {
        let vectors: [(message: String, digest: String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Self.nist448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (Self.nist896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
            (
                "The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
            ),
        ]
        for vector in vectors {
            #expect(
                Self.hex(SHA256.digest(Array(vector.message.utf8))) == vector.digest,
                "SHA256(\"\(vector.message)\")")
        }
    }

    @Test("a million repetitions of \"a\" hash to the published digests")
    func millionLetterA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.hex(MD5.digest(message)) == "7707d6ae4e027c70eea2a935c2296f21")
        #expect(
            Self.hex(SHA256.digest(message))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the canonical form of the int schema has the fingerprints given in the Avro specification")
    func avroIntSchemaFingerprints() {
        let canonicalForm = Array("\"int\"".utf8)
        #expect(Self.hex(MD5.digest(canonicalForm)) == "ef524ea1b91e73173d938ade36c1db32")
        #expect(
            Self.hex(SHA256.digest(canonicalForm))
                == "3f2b87a9fe7cc9b13835598c3981cd45e3e355309e5090aa0933d7becb6fba45")
    }

    @Test("messages whose length sits at a padding edge hash like Python's hashlib")
    func paddingEdgeLengths() {
        // Expected values from Python: hashlib.md5(m) / hashlib.sha256(m) with
        // m = bytes((i * 7 + 3) & 0xff for i in range(n)).
        let vectors: [(count: Int, md5: String, sha256: String)] = [
            (
                55, "52c0e574e1198de5fe3f8f11440dcb1b",
                "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"
            ),
            (
                56, "46c9907fc908ee68b1e7b8e71286a518",
                "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"
            ),
            (
                63, "a62f6d59e837867693f042f5b8f5a236",
                "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"
            ),
            (
                64, "7160b8fb5e9e4023d549c3971fbaeead",
                "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"
            ),
            (
                65, "70bd662e7aefbda85a0f7244167b7897",
                "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"
            ),
            (
                119, "e84905d4214f4d1ca56c2cdcc152b143",
                "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"
            ),
            (
                120, "e3eb5a6c8669ea01a8c185b8abc8a5dc",
                "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"
            ),
            (
                128, "10b2da1a82f16d99a81a7203fe9f02cb",
                "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"
            ),
        ]
        for vector in vectors {
            let message = Self.patternMessage(count: vector.count)
            #expect(Self.hex(MD5.digest(message)) == vector.md5, "MD5 of \(vector.count) bytes")
            #expect(Self.hex(SHA256.digest(message)) == vector.sha256, "SHA-256 of \(vector.count) bytes")
        }
    }

    @Test("slices, UTF-8 views and non-contiguous collections hash like the equivalent array")
    func anyByteCollectionHashesLikeAnArray() {
        let message = Self.patternMessage(count: 300)
        let slice = message[37..<250]
        let sliceCopy = Array(slice)
        #expect(MD5.digest(slice) == MD5.digest(sliceCopy))
        #expect(SHA256.digest(slice) == SHA256.digest(sliceCopy))

        let lazyBytes = message.lazy.map { $0 }
        #expect(MD5.digest(lazyBytes) == MD5.digest(message))
        #expect(SHA256.digest(lazyBytes) == SHA256.digest(message))

        let text = "{\"type\":\"record\",\"name\":\"r\",\"fields\":[]}"
        #expect(MD5.digest(text.utf8) == MD5.digest(Array(text.utf8)))
        #expect(SHA256.digest(text.utf8) == SHA256.digest(Array(text.utf8)))
    }

    @Test("digests have the standard lengths")
    func digestLengths() {
        for count in [0, 1, 55, 56, 64, 1000] {
            let message = Self.patternMessage(count: count)
            #expect(MD5.digest(message).count == 16)
            #expect(SHA256.digest(message).count == 32)
        }
    }
}
