// What Swift cannot take from mpi.h itself: MPI_COMM_WORLD, MPI_IN_PLACE, MPI_FLOAT, MPI_DOUBLE,
// MPI_SUM and MPI_ERRORS_ARE_FATAL are macros over Open MPI's internal globals. Every function
// returns MPI_SUCCESS (0) or an MPI error code; without MPI they act as a world of one process.
#ifndef LORASB_MPI_SHIM_H
#define LORASB_MPI_SHIM_H
#include <stddef.h>

/// 1 when the shim was compiled against mpi.h, else 0.
int lorasb_mpi_compiled(void);
/// MPI_Init (once) with errors fatal to the whole job; MPI_Finalize is registered with atexit.
int lorasb_mpi_init(void);
int lorasb_mpi_rank(int *rank);
int lorasb_mpi_size(int *size);
/// In-place sum over MPI_COMM_WORLD.
int lorasb_mpi_allreduce_sum_float(float *values, size_t count);
int lorasb_mpi_allreduce_sum_double(double *values, size_t count);
int lorasb_mpi_broadcast(void *bytes, size_t count, int root);
/// MPI_Allgatherv of bytes: rank r's `count` bytes land at `gathered + offsets[r]` on every
/// process; `counts[r]` is rank r's count (known beforehand, as MPI needs).
int lorasb_mpi_allgather_bytes(const void *bytes, int count, void *gathered, const int *counts, const int *offsets);
int lorasb_mpi_barrier(void);
/// MPI_Abort: ends every process of the job (a rank that stops alone would leave the others
/// waiting in their next collective).
void lorasb_mpi_abort(int code);
/// The text of an MPI error code, written into `text` (at least 256 bytes).
void lorasb_mpi_error_string(int code, char *text, size_t capacity);

#endif
