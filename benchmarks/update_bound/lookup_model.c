// A C model of the batch-1 byte-word column kernel (SparseColumnKernel.accumulateLookingUp):
// 4-bit gaps and codes, positions by a SWAR prefix sum, four 64-bit loads a pass, weights looked
// up in the 16 activation-scaled codebook entries and scattered into y. Two lookups compared on
// the same columns (Alex-7's shape and densities, fillers included): AVX2 (two VPERMPS and a
// blend per 8 words, as the shim's sparrow_lookup16_u8_avx2) and AVX-512 (one VPERMPS per 16).
// Needs AVX-512F/BW/VL (Zen 4, Ice Lake and later); run.sh skips it elsewhere.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
#define M 4096
#define N 4096
static uint8_t *words; static uint32_t start[N+1]; static int active[N]; static float act[N]; static int nact;
static float yf[M+4096];
static uint64_t rng=88172645463325252ull; static uint64_t xr(){rng^=rng<<13;rng^=rng>>7;rng^=rng<<17;return rng;}
static inline uint64_t opaque(uint64_t v){__asm__("":"+r"(v));return v;}
#define ONES 0x0101010101010101ull
static inline uint64_t offs(uint64_t pk){ return (((pk>>4)&0x0f0f0f0f0f0f0f0full)+ONES)*ONES; }
/* scatter the 4 lanes of q at offsets (pr low 4 bytes) */
#define SC4(yp,pr,q) do{ \
  yp[pr&0xff]+=_mm_cvtss_f32(q); yp[(pr>>8)&0xff]+=_mm_cvtss_f32(_mm_movehdup_ps(q)); pr=opaque(pr>>16); \
  yp[pr&0xff]+=_mm_cvtss_f32(_mm_unpackhi_ps(q,q)); yp[(pr>>8)&0xff]+=_mm_cvtss_f32(_mm_shuffle_ps(q,q,3)); pr=opaque(pr>>16);}while(0)
static inline __m256 look2(__m256 lo, __m256 hi, const uint8_t *p){
  __m256i i=_mm256_cvtepu8_epi32(_mm_and_si128(_mm_loadl_epi64((const __m128i*)p),_mm_set1_epi8(15)));
  __m256 a=_mm256_permutevar8x32_ps(lo,i), b=_mm256_permutevar8x32_ps(hi,i);
  return _mm256_blendv_ps(a,b,_mm256_castsi256_ps(_mm256_slli_epi32(i,28)));
}
static inline void sc8(float *y, long *pos, uint64_t pk, __m256 w){
  uint64_t off=offs(pk); float *yp=y+*pos; uint64_t pr=off;
  __m128 lo=_mm256_castps256_ps128(w), hi=_mm256_extractf128_ps(w,1);
  SC4(yp,pr,lo); SC4(yp,pr,hi); *pos+=off>>56;
}
__attribute__((noinline)) void run_avx2(const float *cb) {
  __m256 cl=_mm256_loadu_ps(cb), ch=_mm256_loadu_ps(cb+8);
  for (int k=0;k<nact;k++){ int j=active[k]; __m256 a=_mm256_set1_ps(act[k]);
    __m256 lo=_mm256_mul_ps(cl,a), hi=_mm256_mul_ps(ch,a);
    const uint8_t*w=words; long p=start[j], end=start[j+1]; long pos=-1;
    while(p+32<=end){ uint64_t k0,k1,k2,k3; memcpy(&k0,w+p,8);memcpy(&k1,w+p+8,8);memcpy(&k2,w+p+16,8);memcpy(&k3,w+p+24,8);
      __m256 w0=look2(lo,hi,w+p),w1=look2(lo,hi,w+p+8),w2=look2(lo,hi,w+p+16),w3=look2(lo,hi,w+p+24);
      sc8(yf,&pos,k0,w0); sc8(yf,&pos,k1,w1); sc8(yf,&pos,k2,w2); sc8(yf,&pos,k3,w3); p+=32; }
    while(p+8<=end){ uint64_t k0; memcpy(&k0,w+p,8); sc8(yf,&pos,k0,look2(lo,hi,w+p)); p+=8; }
    float tt[16]; _mm256_storeu_ps(tt,lo); _mm256_storeu_ps(tt+8,hi);
    while(p<end){ uint8_t b=w[p++]; pos+=(b>>4)+1; yf[pos]+=tt[b&15]; }
  }
}
__attribute__((noinline)) void run_avx512(const float *cb) {
  __m512 cbv=_mm512_loadu_ps(cb);
  for (int k=0;k<nact;k++){ int j=active[k];
    __m512 t=_mm512_mul_ps(cbv,_mm512_set1_ps(act[k]));
    const uint8_t*w=words; long p=start[j], end=start[j+1]; long pos=-1;
    while(p+32<=end){ uint64_t k0,k1,k2,k3; memcpy(&k0,w+p,8);memcpy(&k1,w+p+8,8);memcpy(&k2,w+p+16,8);memcpy(&k3,w+p+24,8);
      __m512 wa=_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(w+p))),t);
      __m512 wb=_mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(w+p+16))),t);
      { uint64_t off=offs(k0); float*yp=yf+pos; uint64_t pr=off; __m128 q=_mm512_castps512_ps128(wa); SC4(yp,pr,q); q=_mm512_extractf32x4_ps(wa,1); SC4(yp,pr,q); pos+=off>>56; }
      { uint64_t off=offs(k1); float*yp=yf+pos; uint64_t pr=off; __m128 q=_mm512_extractf32x4_ps(wa,2); SC4(yp,pr,q); q=_mm512_extractf32x4_ps(wa,3); SC4(yp,pr,q); pos+=off>>56; }
      { uint64_t off=offs(k2); float*yp=yf+pos; uint64_t pr=off; __m128 q=_mm512_castps512_ps128(wb); SC4(yp,pr,q); q=_mm512_extractf32x4_ps(wb,1); SC4(yp,pr,q); pos+=off>>56; }
      { uint64_t off=offs(k3); float*yp=yf+pos; uint64_t pr=off; __m128 q=_mm512_extractf32x4_ps(wb,2); SC4(yp,pr,q); q=_mm512_extractf32x4_ps(wb,3); SC4(yp,pr,q); pos+=off>>56; }
      p+=32; }
    while(p+8<=end){ uint64_t k0; memcpy(&k0,w+p,8);
      __m256 wv=_mm512_castps512_ps256(_mm512_permutexvar_ps(_mm512_castsi256_si512(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(w+p)))),t));
      sc8(yf,&pos,k0,wv); p+=8; }
    float tt[16]; _mm512_storeu_ps(tt,t);
    while(p<end){ uint8_t b=w[p++]; pos+=(b>>4)+1; yf[pos]+=tt[b&15]; }
  }
}
int main(int argc,char**argv){
  double dens=argc>1?atof(argv[1]):0.09, adens=argc>2?atof(argv[2]):0.353;
  size_t cap=(size_t)N*M/4; words=aligned_alloc(64,cap+64); size_t nw=0;
  for(int j=0;j<N;j++){ start[j]=nw; int prev=-1;
    for(int r=0;r<M;r++){ if((xr()>>11)*(1.0/9007199254740992.0)<dens){ int gap=r-prev-1;
        while(gap>15){ words[nw++]=0xF0|15; gap-=16; }
        words[nw++]=(gap<<4)|(xr()%15); prev=r; } } }
  start[N]=nw;
  for(int j=0;j<N;j++){ if((xr()>>11)*(1.0/9007199254740992.0)<adens){act[nact]=(xr()%1000)/1000.0f+0.001f; active[nact++]=j;} }
  long vis=0; for(int k=0;k<nact;k++) vis+=start[active[k]+1]-start[active[k]];
  float cb[16]; for(int i=0;i<16;i++) cb[i]=(i-7.5f)*0.1f; cb[15]=0;
  double b2=1e30,b5=1e30; float ref[M];
  memset(yf,0,sizeof yf); run_avx2(cb); memcpy(ref,yf,sizeof ref); memset(yf,0,sizeof yf); run_avx512(cb);
  double md=0; for(int i=0;i<M;i++){ double d=ref[i]-yf[i]; if(d<0)d=-d; if(d>md)md=d; }
  for(int r=0;r<400;r++){
    double t0=now(); run_avx2(cb); double t1=now(); run_avx512(cb); double t2=now();
    if(t1-t0<b2)b2=t1-t0; if(t2-t1<b5)b5=t2-t1; }
  printf("lookup model: %ld visited words; best of 400, one thread: AVX2 lookup %.1f us (%.3f ns/word), AVX-512 lookup %.1f us (%.3f ns/word); max |difference| %g\n", vis, b2/1e3, b2/vis, b5/1e3, b5/vis, md);
}
