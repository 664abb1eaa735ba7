// Products and sums rounded once each, never contracted into an FMA: kernels that must give the
// CPU's bits (arange, linspace, scatter_add, index_add) compute with these, since nvcc fuses a
// plain a * b + c into one FMA (a different rounding) where g++ on x86 does not.
#pragma once
#include "kernels/cuda/runtime.h"

namespace ember::cuda {

__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }

}  // namespace ember::cuda
