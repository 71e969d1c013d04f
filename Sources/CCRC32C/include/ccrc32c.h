#ifndef CANON_CCRC32C_H
#define CANON_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli), as Kafka's record batch v2 uses it: updates `crc` (start with 0) with `length`
/// bytes. Uses the SSE4.2 `crc32` instruction when the CPU has it (checked once at run time), else
/// slicing-by-8 tables.
uint32_t canon_crc32c(uint32_t crc, const void *data, size_t length);

/// The portable slicing-by-8 implementation alone (for tests that compare both paths).
uint32_t canon_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// Whether `canon_crc32c` uses the hardware instruction on this machine.
int canon_crc32c_hardware(void);

#endif
