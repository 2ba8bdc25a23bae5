/* Generation throughput on one core: a model, a period, and per output format the CPU time of
 * generating the slices (sampling, decoding, repairs, sorting, formatting text lines) and of
 * writing them (merge into the part, text or HDF5 output with its compression), as flows per
 * second per core. CPU time of the calling thread, so other jobs on a shared machine disturb it
 * less than wall time. Prints one CSV line per format:
 *   format,flows,gen_cpu_s,write_cpu_s,flows_per_s_gen,flows_per_s_total,bytes
 * Usage: generate_bench MODEL.h5 OUTDIR [days=1] [scale=1] [formats=csv,h5:0,h5:1,cidds] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "flowchronicle/generate.h"
#include "flowchronicle/modelfile.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run(const fc_model_file *m, const char *dir, double days, double scale,
               const char *spec) {
  fc_generate_options o;
  fc_generate_options_default(&o);
  char fmt[16];
  int level = 1;
  if (sscanf(spec, "%15[a-z5]:%d", fmt, &level) < 1) return 1;
  if (!fc_gen_format_parse(fmt, &o.format)) {
    fprintf(stderr, "unknown format %s\n", spec);
    return 1;
  }
  o.h5_deflate = level;
  o.start_us = m->t_end_us + 7 * 86400000000LL; /* a week after training */
  o.end_us = o.start_us + (int64_t)(days * 86400e6);
  o.scale = scale;
  fc_generator *g;
  if (fc_generator_create(m, &o, &g) != FC_OK) {
    fprintf(stderr, "%s\n", fc_error_message());
    return 1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/bench.%s", dir, o.format == FC_GEN_H5 ? "h5" : "csv");
  fc_gen_provenance p = {"model", "", "generate_bench", 0, 1, 1, 0, 1};
  fc_gen_writer *w;
  double t_gen = 0, t_write = 0, t;
  t = cpu_now();
  if (fc_gen_writer_open(g, path, &p, &w) != FC_OK) {
    fprintf(stderr, "%s\n", fc_error_message());
    return 1;
  }
  t_write += cpu_now() - t;
  fc_generate_stats total;
  memset(&total, 0, sizeof total);
  uint64_t n = fc_generator_n_slices(g);
  for (uint64_t k = 0; k < n; k++) {
    fc_gen_slice *s;
    t = cpu_now();
    if (fc_generate_slice(g, k, &s) != FC_OK) return 1;
    t_gen += cpu_now() - t;
    fc_generate_stats_add(&total, fc_gen_slice_stats(s));
    int64_t a = INT64_MAX, b;
    if (k + 1 < n) fc_generator_slice_span(g, k + 1, &a, &b);
    t = cpu_now();
    if (fc_gen_writer_add(w, &s, 1, a) != FC_OK) return 1;
    t_write += cpu_now() - t;
  }
  t = cpu_now();
  if (fc_gen_writer_commit(&w, &total) != FC_OK) {
    fprintf(stderr, "%s\n", fc_error_message());
    return 1;
  }
  t_write += cpu_now() - t;
  struct stat sb;
  long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
  printf("%s,%llu,%.3f,%.3f,%.0f,%.0f,%lld\n", spec, (unsigned long long)total.flows, t_gen,
         t_write, (double)total.flows / t_gen, (double)total.flows / (t_gen + t_write), bytes);
  fflush(stdout);
  remove(path);
  fc_generator_destroy(&g);
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.h5 OUTDIR [days] [scale] [formats]\n", argv[0]);
    return 2;
  }
  double days = argc > 3 ? atof(argv[3]) : 1.0, scale = argc > 4 ? atof(argv[4]) : 1.0;
  char formats[256];
  snprintf(formats, sizeof formats, "%s", argc > 5 ? argv[5] : "csv,h5:0,h5:1,cidds");
  fc_model_file m;
  if (fc_model_file_read(argv[1], &m) != FC_OK) {
    fprintf(stderr, "%s\n", fc_error_message());
    return 1;
  }
  printf("format,flows,gen_cpu_s,write_cpu_s,flows_per_s_gen,flows_per_s_total,bytes\n");
  int rc = 0;
  for (char *f = strtok(formats, ","); f && !rc; f = strtok(NULL, ","))
    rc = run(&m, argv[2], days, scale, f);
  fc_model_file_free(&m);
  MPI_Finalize();
  return rc;
}
