// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) for Kafka record batches.
// Hardware path: the SSE4.2 crc32 instruction, compiled for that target on this function only and
// chosen at run time after a CPUID check, so no global -msse4.2 flag is needed.
#include "ccrc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

static uint32_t table[8][256];
static int table_ready = 0;
static int hardware = -1;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        table[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = table[0][i];
        for (int t = 1; t < 8; t++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[t][i] = crc;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t canon_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_tables();  // idempotent: racing builders write the same values
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);  // little-endian hosts only (x86_64, arm64)
        uint32_t lo = (uint32_t)word ^ crc;
        uint32_t hi = (uint32_t)(word >> 32);
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
              table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8;
        length -= 8;
    }
    while (length--) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
#endif

int canon_crc32c_hardware(void) {
    int h = __atomic_load_n(&hardware, __ATOMIC_ACQUIRE);
    if (h < 0) {
        h = 0;
#if defined(__x86_64__)
        unsigned int eax, ebx, ecx, edx;
        if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) h = (ecx & bit_SSE4_2) != 0;
#endif
        __atomic_store_n(&hardware, h, __ATOMIC_RELEASE);
    }
    return h;
}

uint32_t canon_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (canon_crc32c_hardware()) return crc32c_sse42(crc, data, length);
#endif
    return canon_crc32c_portable(crc, data, length);
}
