/// The MD5 message digest, implemented from RFC 1321.
///
/// Avro uses MD5 as one of its schema fingerprint algorithms (the digest of a
/// schema's Parsing Canonical Form). MD5 is not collision resistant and must not
/// be used for anything security related; here it only identifies schemas.
///
/// The implementation works on 64-byte blocks with `UInt32` wrapping arithmetic
/// and needs no Foundation, C library or CryptoKit.
internal enum MD5 {
    /// Returns the 16-byte MD5 digest of `data`.
    ///
    /// - Parameter data: The message, any collection of bytes (an array, a slice,
    ///   a string's `utf8` view, ...). Contiguous collections are hashed in place;
    ///   others are copied into an array first.
    /// - Returns: The digest bytes `A B C D`, each word in little-endian order as
    ///   RFC 1321 specifies (the usual hex rendering reads them in this order).
    static func digest<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        if let result = data.withContiguousStorageIfAvailable({ digest(of: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(data).withUnsafeBytes { digest(of: $0) }
    }

    /// Hashes a contiguous message: every full 64-byte block straight from
    /// `message`, then the padded tail (one or two blocks) from a small buffer.
    private static func digest(of message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = State()
        let fullBlocksEnd = message.count & ~63
        var offset = 0
        while offset < fullBlocksEnd {
            state.process(block: UnsafeRawBufferPointer(rebasing: message[offset..<offset + 64]))
            offset += 64
        }

        // Padding (RFC 1321, 3.1 and 3.2): a single 1 bit, zeros up to 56 mod 64
        // bytes, then the message length in bits as a little-endian 64-bit value.
        let remainder = message.count - fullBlocksEnd
        let tailCount = remainder < 56 ? 64 : 128
        var tail = [UInt8](repeating: 0, count: tailCount)
        for index in 0..<remainder {
            tail[index] = message[fullBlocksEnd + index]
        }
        tail[remainder] = 0x80
        let bitLength = UInt64(truncatingIfNeeded: message.count) &* 8
        for index in 0..<8 {
            tail[tailCount - 8 + index] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(index)))
        }
        tail.withUnsafeBytes { tailBytes in
            var tailOffset = 0
            while tailOffset < tailCount {
                state.process(block: UnsafeRawBufferPointer(rebasing: tailBytes[tailOffset..<tailOffset + 64]))
                tailOffset += 64
            }
        }

        var result = [UInt8]()
        result.reserveCapacity(16)
        for word in [state.a, state.b, state.c, state.d] {
            for shift in stride(from: UInt32(0), to: 32, by: 8) {
                result.append(UInt8(truncatingIfNeeded: word >> shift))
            }
        }
        return result
    }

    /// The four-word buffer `A B C D` of RFC 1321, 3.3.
    private struct State {
        var a: UInt32 = 0x6745_2301
        var b: UInt32 = 0xefcd_ab89
        var c: UInt32 = 0x98ba_dcfe
        var d: UInt32 = 0x1032_5476

        /// Processes one 64-byte block (RFC 1321, 3.4): four rounds of sixteen
        /// steps, each `a = b + ((a + f(b, c, d) + X[k] + T[i]) <<< s)`, where
        /// `T[i]` is `floor(2^32 * abs(sin(i)))` for `i` in 1...64.
        ///
        /// - Precondition: `block.count == 64` (guaranteed by the callers).
        @inline(__always)
        mutating func process(block: UnsafeRawBufferPointer) {
            @inline(__always)
            func word(_ index: Int) -> UInt32 {
                UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
            }
            let x0 = word(0), x1 = word(1), x2 = word(2), x3 = word(3)
            let x4 = word(4), x5 = word(5), x6 = word(6), x7 = word(7)
            let x8 = word(8), x9 = word(9), x10 = word(10), x11 = word(11)
            let x12 = word(12), x13 = word(13), x14 = word(14), x15 = word(15)

            var a = self.a, b = self.b, c = self.c, d = self.d

            // Round 1: F(b, c, d) = (b & c) | (~b & d), words in order.
            a = MD5.round1(a, b, c, d, x0, 0xd76aa478, 7)
            d = MD5.round1(d, a, b, c, x1, 0xe8c7b756, 12)
            c = MD5.round1(c, d, a, b, x2, 0x242070db, 17)
            b = MD5.round1(b, c, d, a, x3, 0xc1bdceee, 22)
            a = MD5.round1(a, b, c, d, x4, 0xf57c0faf, 7)
            d = MD5.round1(d, a, b, c, x5, 0x4787c62a, 12)
            c = MD5.round1(c, d, a, b, x6, 0xa8304613, 17)
            b = MD5.round1(b, c, d, a, x7, 0xfd469501, 22)
            a = MD5.round1(a, b, c, d, x8, 0x698098d8, 7)
            d = MD5.round1(d, a, b, c, x9, 0x8b44f7af, 12)
            c = MD5.round1(c, d, a, b, x10, 0xffff5bb1, 17)
            b = MD5.round1(b, c, d, a, x11, 0x895cd7be, 22)
            a = MD5.round1(a, b, c, d, x12, 0x6b901122, 7)
            d = MD5.round1(d, a, b, c, x13, 0xfd987193, 12)
            c = MD5.round1(c, d, a, b, x14, 0xa679438e, 17)
            b = MD5.round1(b, c, d, a, x15, 0x49b40821, 22)

            // Round 2: G(b, c, d) = (b & d) | (c & ~d), word index (1 + 5i) mod 16.
            a = MD5.round2(a, b, c, d, x1, 0xf61e2562, 5)
            d = MD5.round2(d, a, b, c, x6, 0xc040b340, 9)
            c = MD5.round2(c, d, a, b, x11, 0x265e5a51, 14)
            b = MD5.round2(b, c, d, a, x0, 0xe9b6c7aa, 20)
            a = MD5.round2(a, b, c, d, x5, 0xd62f105d, 5)
            d = MD5.round2(d, a, b, c, x10, 0x02441453, 9)
            c = MD5.round2(c, d, a, b, x15, 0xd8a1e681, 14)
            b = MD5.round2(b, c, d, a, x4, 0xe7d3fbc8, 20)
            a = MD5.round2(a, b, c, d, x9, 0x21e1cde6, 5)
            d = MD5.round2(d, a, b, c, x14, 0xc33707d6, 9)
            c = MD5.round2(c, d, a, b, x3, 0xf4d50d87, 14)
            b = MD5.round2(b, c, d, a, x8, 0x455a14ed, 20)
            a = MD5.round2(a, b, c, d, x13, 0xa9e3e905, 5)
            d = MD5.round2(d, a, b, c, x2, 0xfcefa3f8, 9)
            c = MD5.round2(c, d, a, b, x7, 0x676f02d9, 14)
            b = MD5.round2(b, c, d, a, x12, 0x8d2a4c8a, 20)

            // Round 3: H(b, c, d) = b ^ c ^ d, word index (5 + 3i) mod 16.
            a = MD5.round3(a, b, c, d, x5, 0xfffa3942, 4)
            d = MD5.round3(d, a, b, c, x8, 0x8771f681, 11)
            c = MD5.round3(c, d, a, b, x11, 0x6d9d6122, 16)
            b = MD5.round3(b, c, d, a, x14, 0xfde5380c, 23)
            a = MD5.round3(a, b, c, d, x1, 0xa4beea44, 4)
            d = MD5.round3(d, a, b, c, x4, 0x4bdecfa9, 11)
            c = MD5.round3(c, d, a, b, x7, 0xf6bb4b60, 16)
            b = MD5.round3(b, c, d, a, x10, 0xbebfbc70, 23)
            a = MD5.round3(a, b, c, d, x13, 0x289b7ec6, 4)
            d = MD5.round3(d, a, b, c, x0, 0xeaa127fa, 11)
            c = MD5.round3(c, d, a, b, x3, 0xd4ef3085, 16)
            b = MD5.round3(b, c, d, a, x6, 0x04881d05, 23)
            a = MD5.round3(a, b, c, d, x9, 0xd9d4d039, 4)
            d = MD5.round3(d, a, b, c, x12, 0xe6db99e5, 11)
            c = MD5.round3(c, d, a, b, x15, 0x1fa27cf8, 16)
            b = MD5.round3(b, c, d, a, x2, 0xc4ac5665, 23)

            // Round 4: I(b, c, d) = c ^ (b | ~d), word index 7i mod 16.
            a = MD5.round4(a, b, c, d, x0, 0xf4292244, 6)
            d = MD5.round4(d, a, b, c, x7, 0x432aff97, 10)
            c = MD5.round4(c, d, a, b, x14, 0xab9423a7, 15)
            b = MD5.round4(b, c, d, a, x5, 0xfc93a039, 21)
            a = MD5.round4(a, b, c, d, x12, 0x655b59c3, 6)
            d = MD5.round4(d, a, b, c, x3, 0x8f0ccc92, 10)
            c = MD5.round4(c, d, a, b, x10, 0xffeff47d, 15)
            b = MD5.round4(b, c, d, a, x1, 0x85845dd1, 21)
            a = MD5.round4(a, b, c, d, x8, 0x6fa87e4f, 6)
            d = MD5.round4(d, a, b, c, x15, 0xfe2ce6e0, 10)
            c = MD5.round4(c, d, a, b, x6, 0xa3014314, 15)
            b = MD5.round4(b, c, d, a, x13, 0x4e0811a1, 21)
            a = MD5.round4(a, b, c, d, x4, 0xf7537e82, 6)
            d = MD5.round4(d, a, b, c, x11, 0xbd3af235, 10)
            c = MD5.round4(c, d, a, b, x2, 0x2ad7d2bb, 15)
            b = MD5.round4(b, c, d, a, x9, 0xeb86d391, 21)

            self.a = self.a &+ a
            self.b = self.b &+ b
            self.c = self.c &+ c
            self.d = self.d &+ d
        }
    }

    @inline(__always)
    private static func rotateLeft(_ value: UInt32, by amount: UInt32) -> UInt32 {
        (value << amount) | (value >> (32 &- amount))
    }

    /// One step of round 1, with `F(x, y, z) = (x & y) | (~x & z)`.
    @inline(__always)
    private static func round1(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotateLeft(a &+ ((b & c) | (~b & d)) &+ x &+ t, by: s)
    }

    /// One step of round 2, with `G(x, y, z) = (x & z) | (y & ~z)`.
    @inline(__always)
    private static func round2(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotateLeft(a &+ ((b & d) | (c & ~d)) &+ x &+ t, by: s)
    }

    /// One step of round 3, with `H(x, y, z) = x ^ y ^ z`.
    @inline(__always)
    private static func round3(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotateLeft(a &+ (b ^ c ^ d) &+ x &+ t, by: s)
    }

    /// One step of round 4, with `I(x, y, z) = y ^ (x | ~z)`.
    @inline(__always)
    private static func round4(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotateLeft(a &+ (c ^ (b | ~d)) &+ x &+ t, by: s)
    }
}
