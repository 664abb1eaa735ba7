// Portability macros shared by host-only and CUDA-compiled kernel code.
#pragma once

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__
#else
#define EMBER_HD
#endif

#define EMBER_INLINE inline __attribute__((always_inline))
