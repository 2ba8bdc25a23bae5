/* Status codes and error propagation for the whole library.
 *
 * Every fallible function returns fc_status and gives results through out-parameters. The
 * first failure records a message (what, and where in the input: file, line, record) in a
 * per-thread buffer; callers up the stack append their location with FC_CALL, so `main` can
 * print one message with a short trace. Only `main` exits. */
#ifndef FLOWCHRONICLE_ERROR_H
#define FLOWCHRONICLE_ERROR_H

#include <stddef.h>

typedef enum fc_status {
  FC_OK = 0,
  FC_ERR_NOMEM,    /* allocation failed */
  FC_ERR_IO,       /* a file could not be opened, read, written or renamed */
  FC_ERR_PARSE,    /* malformed input: a line, a field, a record */
  FC_ERR_FORMAT,   /* wrong or unknown format, missing or unknown column */
  FC_ERR_ARG,      /* bad argument or option value */
  FC_ERR_HDF5,     /* the HDF5 library reported an error */
  FC_ERR_MPI,      /* the MPI library reported an error, or a peer rank failed */
  FC_ERR_VERSION,  /* a file written by an incompatible version */
  FC_ERR_STATE,    /* a call in the wrong state, an internal inconsistency */
  FC_ERR_PCAP,     /* libpcap reported an error */
  FC_ERR_LIMIT,    /* a configured limit was reached */
  FC_ERR_INTERRUPTED, /* stopped by a signal or time limit before completion */
  FC_STATUS_COUNT
} fc_status;

/* Short fixed description of a status code. */
const char *fc_strerror(fc_status st);

/* The message recorded by the last failure on this thread (empty when none). */
const char *fc_error_message(void);

/* Forget the recorded message (start of a new top-level operation). */
void fc_error_clear(void);

/* Records a failure: a printf-style message plus where it was raised. Returns st so it can be
 * used as `return fci_error(...)`. A later failure on the same thread before fc_error_clear
 * replaces the message. */
fc_status fci_error(fc_status st, const char *file, int line, const char *func, const char *fmt,
                    ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Appends one "  from func (file:line)" frame to the recorded message. */
void fci_error_trace(const char *file, int line, const char *func);

#define FC_ERROR(st, ...) fci_error((st), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Propagate a failing call, adding this frame to the trace. Usable in any function returning
 * fc_status. */
#define FC_CALL(expr)                                                                            \
  do {                                                                                           \
    fc_status fc_call_st_ = (expr);                                                              \
    if (fc_call_st_ != FC_OK) {                                                                  \
      fci_error_trace(__FILE__, __LINE__, __func__);                                             \
      return fc_call_st_;                                                                        \
    }                                                                                            \
  } while (0)

/* Same, but jumps to a cleanup label with the status stored in `st`. */
#define FC_CALL_GOTO(st, expr, label)                                                            \
  do {                                                                                           \
    (st) = (expr);                                                                               \
    if ((st) != FC_OK) {                                                                         \
      fci_error_trace(__FILE__, __LINE__, __func__);                                             \
      goto label;                                                                                \
    }                                                                                            \
  } while (0)

/* Allocation helpers that record FC_ERR_NOMEM with the requested size. */
fc_status fci_malloc(size_t size, void *out_ptr);
fc_status fci_calloc(size_t n, size_t size, void *out_ptr);
fc_status fci_realloc(size_t size, void *inout_ptr);

#endif
