/// The SHA-256 secure hash, implemented from FIPS 180-4 (sections 4.1.2, 4.2.2,
/// 5.1.1, 5.3.3 and 6.2).
///
/// Avro uses SHA-256 as one of its schema fingerprint algorithms (the digest of
/// a schema's Parsing Canonical Form). The implementation works on 64-byte
/// blocks with `UInt32` wrapping arithmetic and needs no Foundation, C library
/// or CryptoKit.
internal enum SHA256 {
    /// Returns the 32-byte SHA-256 digest of `data`.
    ///
    /// - Parameter data: The message, any collection of bytes (an array, a slice,
    ///   a string's `utf8` view, ...). Contiguous collections are hashed in place;
    ///   others are copied into an array first.
    /// - Returns: The digest: the eight hash words `H0 ... H7`, each big-endian.
    static func digest<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        if let result = data.withContiguousStorageIfAvailable({ digest(of: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(data).withUnsafeBytes { digest(of: $0) }
    }

    /// The initial hash value `H(0)` (FIPS 180-4, 5.3.3): the first 32 bits of the
    /// fractional parts of the square roots of the first eight primes.
    private static let initialHash: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// The constants `K0 ... K63` (FIPS 180-4, 4.2.2): the first 32 bits of the
    /// fractional parts of the cube roots of the first sixty-four primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// Hashes a contiguous message: every full 64-byte block straight from
    /// `message`, then the padded tail (one or two blocks) from a small buffer.
    private static func digest(of message: UnsafeRawBufferPointer) -> [UInt8] {
        var hash = initialHash

        // Padding (FIPS 180-4, 5.1.1): a single 1 bit, zeros up to 56 mod 64
        // bytes, then the message length in bits as a big-endian 64-bit value.
        let fullBlocksEnd = message.count & ~63
        let remainder = message.count - fullBlocksEnd
        let tailCount = remainder < 56 ? 64 : 128
        var tail = [UInt8](repeating: 0, count: tailCount)
        for index in 0..<remainder {
            tail[index] = message[fullBlocksEnd + index]
        }
        tail[remainder] = 0x80
        let bitLength = UInt64(truncatingIfNeeded: message.count) &* 8
        for index in 0..<8 {
            tail[tailCount - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(index)))
        }

        hash.withUnsafeMutableBufferPointer { hashWords in
            roundConstants.withUnsafeBufferPointer { constants in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                    var offset = 0
                    while offset < fullBlocksEnd {
                        process(
                            block: UnsafeRawBufferPointer(rebasing: message[offset..<offset + 64]),
                            hash: hashWords, constants: constants, schedule: schedule)
                        offset += 64
                    }
                    tail.withUnsafeBytes { tailBytes in
                        var tailOffset = 0
                        while tailOffset < tailCount {
                            process(
                                block: UnsafeRawBufferPointer(rebasing: tailBytes[tailOffset..<tailOffset + 64]),
                                hash: hashWords, constants: constants, schedule: schedule)
                            tailOffset += 64
                        }
                    }
                }
            }
        }

        var result = [UInt8]()
        result.reserveCapacity(32)
        for word in hash {
            for shift in stride(from: UInt32(24), through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: word >> shift))
            }
        }
        return result
    }

    /// Processes one 64-byte block (FIPS 180-4, 6.2.2): prepares the 64-word
    /// message schedule, runs the 64 compression rounds and adds the result to
    /// the intermediate hash value.
    ///
    /// - Precondition: `block.count == 64`, `hash.count == 8`,
    ///   `constants.count == 64` and `schedule.count >= 64` (all guaranteed by
    ///   the single caller).
    @inline(__always)
    private static func process(
        block: UnsafeRawBufferPointer,
        hash: UnsafeMutableBufferPointer<UInt32>,
        constants: UnsafeBufferPointer<UInt32>,
        schedule: UnsafeMutableBufferPointer<UInt32>
    ) {
        guard let w = schedule.baseAddress, let k = constants.baseAddress, let h = hash.baseAddress else { return }
        for t in 0..<16 {
            w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
        }
        for t in 16..<64 {
            let w15 = w[t - 15], w2 = w[t - 2]
            let sigma0 = rotateRight(w15, by: 7) ^ rotateRight(w15, by: 18) ^ (w15 >> 3)
            let sigma1 = rotateRight(w2, by: 17) ^ rotateRight(w2, by: 19) ^ (w2 >> 10)
            w[t] = sigma1 &+ w[t - 7] &+ sigma0 &+ w[t - 16]
        }

        var a = h[0], b = h[1], c = h[2], d = h[3]
        var e = h[4], f = h[5], g = h[6], hh = h[7]
        for t in 0..<64 {
            let bigSigma1 = rotateRight(e, by: 6) ^ rotateRight(e, by: 11) ^ rotateRight(e, by: 25)
            let choose = (e & f) ^ (~e & g)
            let t1 = hh &+ bigSigma1 &+ choose &+ k[t] &+ w[t]
            let bigSigma0 = rotateRight(a, by: 2) ^ rotateRight(a, by: 13) ^ rotateRight(a, by: 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let t2 = bigSigma0 &+ majority
            hh = g
            g = f
            f = e
            e = d &+ t1
            d = c
            c = b
            b = a
            a = t1 &+ t2
        }
        h[0] = h[0] &+ a
        h[1] = h[1] &+ b
        h[2] = h[2] &+ c
        h[3] = h[3] &+ d
        h[4] = h[4] &+ e
        h[5] = h[5] &+ f
        h[6] = h[6] &+ g
        h[7] = h[7] &+ hh
    }

    @inline(__always)
    private static func rotateRight(_ value: UInt32, by amount: UInt32) -> UInt32 {
        (value >> amount) | (value << (32 &- amount))
    }
}
