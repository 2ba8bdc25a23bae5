/* SHA-256 (FIPS 180-4) of byte strings and files, for the provenance of inputs. */
#ifndef FLOWCHRONICLE_SHA256_H
#define FLOWCHRONICLE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

typedef struct fc_sha256 {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t fill;
} fc_sha256;

void fc_sha256_init(fc_sha256 *s);
void fc_sha256_update(fc_sha256 *s, const void *data, size_t n);
void fc_sha256_final(fc_sha256 *s, uint8_t digest[32]);
/* Lower-case hex digest (65 bytes with the NUL) of a file's bytes as stored. */
fc_status fc_sha256_file(const char *path, char hex[65]);

#endif
