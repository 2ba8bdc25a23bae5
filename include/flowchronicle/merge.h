/* Merging the part files of a generation run into one time-ordered file (docs/generate.md).
 *
 * Text parts (canonical flow CSV or CIDDS CSV) are merged line by line: every part is sorted in
 * the byte order of its lines (start time first, fixed width), so a k-way merge on line bytes
 * gives the same file whatever the number of parts. HDF5 parts (datasets written by generate)
 * are merged row by row in the generator's order (start, then canonical flow-CSV text) into a
 * new dataset with the same encoding; they must be all the parts of one run. Memory is bounded:
 * one line, or one block of rows, per input. One process; the output is atomic. */
#ifndef FLOWCHRONICLE_MERGE_H
#define FLOWCHRONICLE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "flowchronicle/error.h"

typedef struct fc_merge_report {
  uint64_t records; /* lines or rows written (header excluded) */
  int hdf5;         /* 1 when the parts were HDF5 */
} fc_merge_report;

/* Merges n >= 1 inputs into output; HDF5 output is compressed with shuffle + deflate at level
 * deflate (0: uncompressed), text output when its name ends in .gz. Errors: FC_ERR_IO (unreadable input, unwritable output),
 * FC_ERR_FORMAT (headers that differ or are not flow/CIDDS CSV, a part out of order, HDF5
 * parts of different runs or a missing part, text and HDF5 mixed), all naming the file. */
fc_status fc_merge_files(const char *const *inputs, size_t n, const char *output,
                         const char *command_line, int deflate, fc_merge_report *rep);

#endif
