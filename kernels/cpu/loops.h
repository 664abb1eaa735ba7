// The CPU elementwise driver: walks a StridedLoop row by row, handing the innermost dim to a
// callback as (pointers, strides, n). Work is split across OpenMP threads by linear element
// range once it is large enough to pay for the fork. Callbacks check for unit strides and run
// a plain indexed loop then, which the compiler vectorises.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>

#include "kernels/kernel_args.h"

namespace ember::cpu {

// Below this many elements a kernel runs on the calling thread.
inline constexpr int64_t kParallelGrain = 32768;

inline int threads_for(int64_t work) {
  if (work < kParallelGrain) return 1;
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), work / (kParallelGrain / 2)));
}

// Runs f(begin, end) over [0, n) split into contiguous ranges, one per thread.
template <typename F>
void parallel_for(int64_t n, int64_t grain_work, F&& f) {
  int nt = threads_for(grain_work);
  if (nt <= 1) {
    f(int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t chunk = (n + T - 1) / T;
    int64_t b = std::min(n, t * chunk), e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  }
}

// parallel_for whose body may throw (it allocates, or checks its input): the first exception
// is carried out of the OpenMP region and rethrown on the calling thread.
template <typename F>
void guarded_parallel_for(int64_t n, int64_t grain_work, F&& f) {
  std::exception_ptr error;
  parallel_for(n, grain_work, [&](int64_t b, int64_t e) {
    try {
      f(b, e);
    } catch (...) {
#pragma omp critical(ember_parallel_for_error)
      if (!error) error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
}

// Calls row(ptrs, inner_strides, count) for every run of the innermost dim within the linear
// element range [begin, end). ptrs[k] points at operand k's first element of the run.
template <typename Row>
void for_each_run(const StridedLoop& L, int64_t begin, int64_t end, Row&& row) {
  const int nops = L.nops;
  char* ptrs[kMaxOperands];
  int64_t inner_strides[kMaxOperands];
  if (L.ndim == 0) {
    for (int k = 0; k < nops; ++k) {
      ptrs[k] = L.data[k];
      inner_strides[k] = 0;
    }
    if (begin < end) row(ptrs, inner_strides, int64_t{1});
    return;
  }
  const int last = L.ndim - 1;
  int64_t elem_size[kMaxOperands];
  for (int k = 0; k < nops; ++k) {
    elem_size[k] = static_cast<int64_t>(element_size(L.dtypes[k]));
    inner_strides[k] = L.strides[k][last];
  }
  // Coordinates of `begin`.
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % L.sizes[d];
    rem /= L.sizes[d];
  }
  int64_t pos = begin;
  while (pos < end) {
    for (int k = 0; k < nops; ++k) {
      int64_t off = 0;
      for (int d = 0; d <= last; ++d) off += idx[d] * L.strides[k][d];
      ptrs[k] = L.data[k] + off * elem_size[k];
    }
    int64_t count = std::min(L.sizes[last] - idx[last], end - pos);
    row(ptrs, inner_strides, count);
    pos += count;
    idx[last] += count;
    for (int d = last; d > 0 && idx[d] == L.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

// The whole loop, in parallel when large.
template <typename Row>
void for_each_run_parallel(const StridedLoop& L, Row&& row) {
  int64_t n = L.numel();
  if (n == 0) return;
  parallel_for(n, n, [&](int64_t b, int64_t e) { for_each_run(L, b, e, row); });
}

}  // namespace ember::cpu
