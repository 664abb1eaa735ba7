// CPU copy with cast between any two dtypes and any strides (contiguous, to, clone, cat,
// flip, ...). Same-dtype contiguous runs are memcpy; everything else converts per element.
#include <cstring>

#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

template <typename Out, typename In>
void copy_typed(const StridedLoop& L) {
  for_each_run_parallel(L, [](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* a = reinterpret_cast<const In*>(p[1]);
    if constexpr (std::is_same_v<Out, In>) {
      if (s[0] == 1 && s[1] == 1) {
        std::memcpy(o, a, static_cast<size_t>(n) * sizeof(Out));
        return;
      }
    }
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = fn::convert<Out>(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = fn::convert<Out>(a[i * s[1]]);
    }
  });
}

void copy_kernel(const StridedLoop& L, const ScalarArgs&) {
  auto none = [](DType) {};
  dispatch_dtype<kAll>(
      L.dtypes[0],
      [&]<typename Out>() {
        dispatch_dtype<kAll>(
            L.dtypes[1], [&]<typename In>() { copy_typed<Out, In>(L); }, none);
      },
      none);
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, copy, &copy_kernel);

}  // namespace ember::cpu
