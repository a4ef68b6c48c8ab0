// OpenBLAS (cblas_*, openblas_set_num_threads) and LAPACKE from Debian's packages.
#include <cblas.h>
#include <lapacke.h>
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
