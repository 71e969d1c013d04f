/// Kafka's default partitioner for keyed records (the Java client's, which kafka-python matches):
/// `(murmur2(key) & 0x7fffffff) % partitions`.
public enum KafkaPartitioner {
    /// The partition of a record with this key.
    public static func partition<C: Collection>(key: C, partitions: Int) -> Int where C.Element == UInt8 {
        precondition(partitions > 0, "a topic has at least one partition")
        return Int(UInt32(bitPattern: murmur2(key)) & 0x7fff_ffff) % partitions
    }

    /// Kafka's 32-bit MurmurHash2 with seed 0x9747b28c, as `org.apache.kafka.common.utils.Utils.murmur2`.
    public static func murmur2<C: Collection>(_ key: C) -> Int32 where C.Element == UInt8 {
        let data = Array(key)
        let m: UInt32 = 0x5bd1_e995
        let length = data.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        var i = 0
        while i + 4 <= length {
            var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            i += 4
        }
        let rest = length & 3
        if rest == 3 { h ^= UInt32(data[i + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[i + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[i])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }
}
