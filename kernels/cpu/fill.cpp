// CPU fills: constant (fill), ranges (arange, linspace) and the triangle mask behind
// tril/triu (tri).
#include <cmath>

#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

template <typename T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else {
    return static_cast<T>(static_cast<acc_t<T>>(v));
  }
}

// a = value.
void fill_kernel(const StridedLoop& L, const ScalarArgs& args) {
  dispatch_dtype<kAll>(
      L.dtypes[0],
      [&]<typename T>() {
        const T v = from_double<T>(args.a);
        for_each_run_parallel(L, [&](char** p, const int64_t* s, int64_t n) {
          T* o = reinterpret_cast<T*>(p[0]);
          if (s[0] == 1) {
            for (int64_t i = 0; i < n; ++i) o[i] = v;
          } else {
            for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
          }
        });
      },
      [](DType) {});
}

// Contiguous 1-d output: out[i] = value(i), computed in double.
template <typename F>
void fill_1d(OpId op, const StridedLoop& L, F value) {
  dispatch_dtype<kFloat | kInt>(
      L.dtypes[0],
      [&]<typename T>() {
        T* o = reinterpret_cast<T*>(L.data[0]);
        int64_t n = L.numel();
        parallel_for(n, n, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) o[i] = from_double<T>(value(i));
        });
      },
      [op](DType d) { fn::unsupported_dtype(op, "cpu", d, kFloat | kInt); });
}

// a = start, b = step.
void arange_kernel(const StridedLoop& L, const ScalarArgs& args) {
  fill_1d(OpId::arange, L, [&](int64_t i) { return args.a + static_cast<double>(i) * args.b; });
}

// a = start, b = end; the first half counts up from start and the second half down from end,
// so both endpoints are exact.
void linspace_kernel(const StridedLoop& L, const ScalarArgs& args) {
  int64_t n = L.numel();
  double step = n > 1 ? (args.b - args.a) / static_cast<double>(n - 1) : 0.0;
  int64_t half = (n + 1) / 2;  // n == 1: the one value is start
  fill_1d(OpId::linspace, L, [&](int64_t i) {
    return i < half ? args.a + step * static_cast<double>(i)
                    : args.b - step * static_cast<double>(n - 1 - i);
  });
}

// Uncoalesced loop over [..., rows, cols] with out and in. a = diagonal, b = 1 for triu.
// tril keeps col - row <= diagonal; triu keeps col - row >= diagonal.
void tri_kernel(const StridedLoop& L, const ScalarArgs& args) {
  const int64_t diagonal = static_cast<int64_t>(args.a);
  const bool upper = args.b != 0.0;
  const int64_t cols = L.sizes[L.ndim - 1], rows = L.sizes[L.ndim - 2];
  dispatch_dtype<kAll>(
      L.dtypes[0],
      [&]<typename T>() {
        int64_t n = L.numel();
        parallel_for(n / std::max<int64_t>(cols, 1), n, [&](int64_t rb, int64_t re) {
          for (int64_t r = rb; r < re; ++r) {
            int64_t row = r % rows;
            // Offsets of row r for both operands.
            int64_t rem = r, off_o = 0, off_i = 0;
            for (int d = L.ndim - 2; d >= 0; --d) {
              int64_t i = rem % L.sizes[d];
              rem /= L.sizes[d];
              off_o += i * L.strides[0][d];
              off_i += i * L.strides[1][d];
            }
            T* o = reinterpret_cast<T*>(L.data[0]) + off_o;
            const T* a = reinterpret_cast<const T*>(L.data[1]) + off_i;
            const int64_t so = L.strides[0][L.ndim - 1], si = L.strides[1][L.ndim - 1];
            for (int64_t c = 0; c < cols; ++c) {
              bool keep = upper ? c - row >= diagonal : c - row <= diagonal;
              o[c * so] = keep ? a[c * si] : T{};
            }
          }
        });
      },
      [](DType) {});
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, fill, &fill_kernel);
EMBER_REGISTER_KERNEL(cpu, arange, &arange_kernel);
EMBER_REGISTER_KERNEL(cpu, linspace, &linspace_kernel);
EMBER_REGISTER_KERNEL(cpu, tri, &tri_kernel);

}  // namespace ember::cpu
