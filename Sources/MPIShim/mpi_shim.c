#include "mpi_shim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#if __has_include(<mpi.h>)
#include <mpi.h>

int lorasb_mpi_compiled(void) { return 1; }

static void finalize_at_exit(void) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

int lorasb_mpi_init(void) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return MPI_SUCCESS;
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS) return rc;
    atexit(finalize_at_exit);
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

int lorasb_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
int lorasb_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

// MPI counts are ints: larger buffers go in int-sized pieces.
static int allreduce_sum(char *values, size_t count, MPI_Datatype type, size_t size) {
    for (size_t done = 0; done < count;) {
        int n = (int)(count - done < INT_MAX ? count - done : INT_MAX);
        int rc = MPI_Allreduce(MPI_IN_PLACE, values + done * size, n, type, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        done += (size_t)n;
    }
    return MPI_SUCCESS;
}

int lorasb_mpi_allreduce_sum_float(float *values, size_t count) {
    return allreduce_sum((char *)values, count, MPI_FLOAT, sizeof(float));
}

int lorasb_mpi_allreduce_sum_double(double *values, size_t count) {
    return allreduce_sum((char *)values, count, MPI_DOUBLE, sizeof(double));
}

int lorasb_mpi_broadcast(void *bytes, size_t count, int root) {
    for (size_t done = 0; done < count;) {
        int n = (int)(count - done < INT_MAX ? count - done : INT_MAX);
        int rc = MPI_Bcast((char *)bytes + done, n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        done += (size_t)n;
    }
    return MPI_SUCCESS;
}

int lorasb_mpi_allgather_bytes(const void *bytes, int count, void *gathered, const int *counts, const int *offsets) {
    return MPI_Allgatherv(bytes, count, MPI_BYTE, gathered, counts, offsets, MPI_BYTE, MPI_COMM_WORLD);
}

int lorasb_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void lorasb_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void lorasb_mpi_error_string(int code, char *text, size_t capacity) {
    char message[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) snprintf(message, sizeof message, "MPI error %d", code);
    snprintf(text, capacity, "%s", message);
}

#else
// Built without Open MPI: one process, whose collectives leave their buffers as they are.

int lorasb_mpi_compiled(void) { return 0; }
int lorasb_mpi_init(void) { return 0; }
int lorasb_mpi_rank(int *rank) { *rank = 0; return 0; }
int lorasb_mpi_size(int *size) { *size = 1; return 0; }
int lorasb_mpi_allreduce_sum_float(float *values, size_t count) { (void)values; (void)count; return 0; }
int lorasb_mpi_allreduce_sum_double(double *values, size_t count) { (void)values; (void)count; return 0; }
int lorasb_mpi_broadcast(void *bytes, size_t count, int root) { (void)bytes; (void)count; (void)root; return 0; }
int lorasb_mpi_allgather_bytes(const void *bytes, int count, void *gathered, const int *counts, const int *offsets) {
    (void)counts;
    memcpy((char *)gathered + offsets[0], bytes, (size_t)count);
    return 0;
}
int lorasb_mpi_barrier(void) { return 0; }
void lorasb_mpi_abort(int code) { exit(code); }
void lorasb_mpi_error_string(int code, char *text, size_t capacity) { snprintf(text, capacity, "error %d", code); }
#endif
