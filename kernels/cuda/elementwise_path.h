// Host-side counters of the paths the CUDA elementwise driver (kernels/cuda/elementwise.h) took,
// one increment per launch: vectorized contiguous, scalar contiguous, strided. Tests read them to
// check that a loop took (or did not take) the vector path. Plain C++, no CUDA headers, so host
// code compiled by g++ can include it in either build.
#pragma once
#include <atomic>
#include <cstdint>

namespace ember::cuda {

struct ElementwisePathCounts {
  std::atomic<int64_t> vector{0};
  std::atomic<int64_t> contiguous{0};
  std::atomic<int64_t> strided{0};
};

inline ElementwisePathCounts& elementwise_path_counts() {
  static ElementwisePathCounts counts;
  return counts;
}

}  // namespace ember::cuda
