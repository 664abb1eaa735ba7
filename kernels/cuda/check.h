// EMBER_CUDA_CHECK(call): the one way a CUDA runtime call is checked, in both builds. A failure
// throws DeviceError (OutOfMemoryError for cudaErrorMemoryAllocation) naming the call, the CUDA
// error and the file and line.
#pragma once
#include "kernels/cuda/runtime.h"
#include "kernels/error.h"

namespace ember::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  (void)cudaGetLastError();  // a non-sticky error must not resurface at the next launch check
  const std::string msg = str(call, ": CUDA error ", cudaGetErrorName(err), " (",
                              cudaGetErrorString(err), ") at ", file, ":", line);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  throw DeviceError(msg);
}

}  // namespace ember::cuda::detail

#define EMBER_CUDA_CHECK(call)                                                             \
  do {                                                                                     \
    const cudaError_t ember_cuda_err_ = (call);                                            \
    if (ember_cuda_err_ != cudaSuccess) {                                                  \
      ::ember::cuda::detail::throw_cuda_error(ember_cuda_err_, #call, __FILE__, __LINE__); \
    }                                                                                      \
  } while (0)
