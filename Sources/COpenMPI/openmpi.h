// Open MPI's C API from Debian's libopenmpi-dev (compiler and linker flags from pkg-config
// `ompi-c`). Absent on a machine without it: the shim then builds its single-process stubs.
#if __has_include(<mpi.h>)
#include <mpi.h>
#endif
