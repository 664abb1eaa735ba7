// launch(kernel, grid, block, smem_bytes, stream, args...): the only way op code starts a
// kernel. Under nvcc it is kernel<<<...>>> plus a check of the launch; under g++ it runs the
// grid on the SIMT emulator. EMBER_LAUNCH(kernel, ...) does the same and passes the kernel's
// spelled name for error messages (launch() looks the symbol up instead).
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/cuda/check.h"
#if !defined(__CUDACC__)
#include "kernels/simt/simt.h"
#endif

namespace ember::cuda {

#if !defined(__CUDACC__)
namespace detail {
// A kernel and its arguments converted to the parameter types once; every CUDA thread calls
// the kernel with its own copy of them, as on a GPU.
template <typename... Params>
struct KernelCall {
  void (*kernel)(Params...);
  std::tuple<std::decay_t<Params>...> args;
  static void run(void* self) {
    auto* call = static_cast<KernelCall*>(self);
    std::apply(call->kernel, call->args);
  }
};
}  // namespace detail
#endif

template <typename... Params, typename... Args>
void launch_named(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                  std::size_t smem_bytes, cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args),
                "launch: the number of arguments differs from the kernel's parameters");
#if defined(__CUDACC__)
  kernel<<<grid, block, smem_bytes, stream>>>(std::forward<Args>(args)...);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    throw DeviceError(str("launch of ", name ? name : "kernel", "<<<(", grid.x, ",", grid.y, ",",
                          grid.z, "), (", block.x, ",", block.y, ",", block.z, "), ", smem_bytes,
                          ">>>: CUDA error ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
                          ")"));
  }
#else
  (void)stream;  // emulated streams are synchronous
  detail::KernelCall<Params...> call{
      kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  simt::launch_grid(name, reinterpret_cast<const void*>(kernel), grid, block, smem_bytes,
                    &detail::KernelCall<Params...>::run, &call);
#endif
}

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem_bytes,
            cudaStream_t stream, Args&&... args) {
  launch_named(nullptr, kernel, grid, block, smem_bytes, stream, std::forward<Args>(args)...);
}

}  // namespace ember::cuda

// As launch(), with the kernel's name as written (a template instance in parentheses:
// EMBER_LAUNCH((reduce<float, 256>), grid, ...)).
#define EMBER_LAUNCH(kernel, ...) ::ember::cuda::launch_named(#kernel, kernel, __VA_ARGS__)
