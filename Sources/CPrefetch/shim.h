#ifndef SPARROW_CPREFETCH_SHIM_H
#define SPARROW_CPREFETCH_SHIM_H

// __builtin_prefetch is a compiler builtin Swift cannot name. Unlike a load, a prefetch retires at
// once, so a kernel can ask for many scattered lines ahead without stalling on any of them.
static inline void sparrow_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
