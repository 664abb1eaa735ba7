// The one header a kernel source (.cu) includes for the CUDA language and runtime: the real
// CUDA runtime under nvcc, the SIMT emulator (kernels/simt/) under g++. docs/internals/simt.md.
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>

// Dynamic shared memory (the launch's smem_bytes), 16-byte aligned, as a `T*` named `name`;
// the emulator defines the same macro (kernels/simt/device.h).
#define EMBER_DYNAMIC_SHARED(T, name)                                  \
  extern __shared__ __align__(16) unsigned char ember_dynamic_smem_[]; \
  T* const name = reinterpret_cast<T*>(ember_dynamic_smem_)
#else
#include "kernels/simt/device.h"
#include "kernels/simt/runtime_api.h"
#endif
