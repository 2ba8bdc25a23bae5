/* Patterns in words a network engineer reads, and the same as one JSON document
 * (docs/show-json.md). */
#ifndef FLOWCHRONICLE_SHOW_H
#define FLOWCHRONICLE_SHOW_H

#include <stdio.h>

#include "flowchronicle/error.h"
#include "flowchronicle/modelfile.h"

fc_status fc_show_text(FILE *out, const fc_model_file *m);
fc_status fc_show_json(FILE *out, const fc_model_file *m);
/* Median of a row's delays in seconds (row >= 1), 0 when the pattern is unused. */
double fc_show_delay_median_s(const fc_model_file *m, size_t k, int row);

#endif
