// How many y[row] += w updates one core retires per cycle, by how the update is written.
// Backs docs/benchmarks/SPARSE.md ("why the floor target is out of reach"): the batch-1 scatter
// updates y once per stored word, so these figures bound its cycles per visited word.
// x86-64 only (inline assembly keeps the compiler from merging or reordering the updates).
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define ROWS 4096
#define PASSES (1 << 18)  // eight updates a pass
static float yf[ROWS + 512];
static int32_t yi[ROWS + 512];
static int32_t rowBuffer[4096];
static float weightBuffer[4096];

// Eight updates per pass at rows 9 apart (Alex-7's mean step), then the base moves on.
#define EIGHT(op) op(0) op(36) op(72) op(108) op(144) op(180) op(216) op(252)

static void cycleChain(long n) {  // n dependent adds: one cycle each
    long v = 0;
    for (long i = 0; i < n; i++) __asm__ volatile("addq $1, %0" : "+r"(v));
}

// A function running PASSES passes of eight updates written as OP, over `array`, the base moving
// on by 72 elements a pass. %0 is the base, %1 the value 3; the rest are registers OP clobbers.
#define UPDATE_LOOP(name, type, array, ...)                                       \
    static void name(void) {                                                     \
        type *p = array;                                                         \
        for (long i = 0; i < PASSES; i++) {                                      \
            __asm__ volatile(EIGHT(OP) :: "r"(p), "r"(3) : "memory", ##__VA_ARGS__); \
            p += 72;                                                             \
            if (p > array + ROWS) p -= ROWS;                                     \
        }                                                                        \
    }

#define OP(o) "vmovss " #o "(%0), %%xmm0\n vaddss %%xmm15, %%xmm0, %%xmm0\n vmovss %%xmm0, " #o "(%0)\n"
UPDATE_LOOP(floatUpdates, float, yf, "xmm0")
#undef OP
#define OP(o) "addl %1, " #o "(%0)\n"
UPDATE_LOOP(integerReadModifyWrite, int32_t, yi)
#undef OP
#define OP(o) "movl " #o "(%0), %%eax\n addl %1, %%eax\n movl %%eax, " #o "(%0)\n"
UPDATE_LOOP(integerLoadAddStore, int32_t, yi, "eax")
#undef OP
#define OP(o) "vmovss %%xmm15, " #o "(%0)\n"
UPDATE_LOOP(floatStoresOnly, float, yf)
#undef OP
#define OP(o) "movl %1, " #o "(%0)\n"
UPDATE_LOOP(integerStoresOnly, int32_t, yi)
#undef OP

// A compacted stream (rows and weights written to buffers first, as dropping filler words would
// need): each update also loads its row and its weight.
static void floatFromBuffers(void) {
    for (long pass = 0; pass < PASSES / 512; pass++) {
        for (int i = 0; i < 4096; i += 8) {
#define OP(k) "movslq " #k "*4(%1), %%rax\n vmovss (%0,%%rax,4), %%xmm0\n vaddss " #k "*4(%2), %%xmm0, %%xmm0\n vmovss %%xmm0, (%0,%%rax,4)\n"
            __asm__ volatile(OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7)
                             :: "r"(yf), "r"(rowBuffer + i), "r"(weightBuffer + i) : "memory", "rax", "xmm0");
#undef OP
        }
    }
}

// Best of 15 runs of `body`, in ns per update; `cycle` gets the best ns per cycle timed just
// before each run, so a stretch where the VM slows the core moves both alike.
static double best(void (*body)(void), double *cycle) {
    double b = 1e30;
    *cycle = 1e30;
    for (int r = 0; r < 15; r++) {
        double t0 = now_ns();
        cycleChain(1L << 22);
        double t1 = now_ns();
        body();
        double t2 = now_ns();
        if ((t1 - t0) / (1L << 22) < *cycle) *cycle = (t1 - t0) / (1L << 22);
        if (t2 - t1 < b) b = t2 - t1;
    }
    return b / (8.0 * PASSES);
}

int main(void) {
    for (int i = 0; i < 4096; i++) { rowBuffer[i] = (i * 9) % ROWS; weightBuffer[i] = 0.5f; }
    __asm__ volatile("vxorps %%xmm15, %%xmm15, %%xmm15" ::: "xmm15");
    struct { const char *name; void (*body)(void); } cases[] = {
        {"float load + add + store (the scatter's update)", floatUpdates},
        {"int32 add to memory (fixed-point y)", integerReadModifyWrite},
        {"int32 load + add + store", integerLoadAddStore},
        {"float row and weight loaded from buffers", floatFromBuffers},
        {"float stores alone", floatStoresOnly},
        {"int32 stores alone", integerStoresOnly},
    };
    printf("%-50s %8s %8s %8s\n", "update (rows 9 apart, independent)", "ns", "GHz", "cycles");
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double cycle;
        double ns = best(cases[c].body, &cycle);
        printf("%-50s %8.3f %8.2f %8.2f\n", cases[c].name, ns, 1 / cycle, ns / cycle);
    }
    return yf[1] < 0 || yi[1] < 0;  // keeps the results observable
}
