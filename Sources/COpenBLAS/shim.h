#ifndef SPARROW_COPENBLAS_SHIM_H
#define SPARROW_COPENBLAS_SHIM_H
#include <cblas.h>

// Exported by libopenblas (it runs before fork) but declared in no public header: stops the
// library's worker threads. OpenBLAS starts them again on the next call that wants more than one.
int blas_thread_shutdown_(void);
#endif
