#ifndef SPARROW_COPENBLAS_SHIM_H
#define SPARROW_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
