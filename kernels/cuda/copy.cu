// CUDA copy with cast between any two dtypes and any strides (contiguous, to, clone, copy_,
// cat, flip, ...). fill lives in kernels/cuda/fill.cu, as on the CPU.
//
// Design: it runs on the grid-stride elementwise driver (kernels/cuda/elementwise.h): coalesced on
// contiguous data, 16-byte vector loads/stores when both bases are aligned (V = 16 / the larger
// element size), coordinates decomposed only on strided loops. The cast is the CPU kernel's: to
// bool is `!= 0` (NaN is true), f16 <-> bf16 goes through float, everything else converts through
// the source's arithmetic type (acc_t), so a copy gives the same bits as kernels/cpu/copy.cpp for
// every dtype pair. The dtype pair is dispatched on the host (9 x 9 instantiations).
#include "kernels/cuda/elementwise.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// kernels

template <typename OutT, typename In>
struct CopyOp {
  using Out = OutT;
  using Ins = TypeList<In>;
  static constexpr int kOperands = 2;
  __device__ Out apply(In x) const { return fn::convert<Out>(x); }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

// launchers

void copy_kernel(const StridedLoop& L, const ScalarArgs&) {
  EMBER_CHECK(L.nops == 2, ValueError, "copy: the cuda kernel expects 2 operands; got ", L.nops);
  auto none = [](DType) {};
  dispatch_dtype<kAll>(
      L.dtypes[0],
      [&]<typename Out>() {
        dispatch_dtype<kAll>(
            L.dtypes[1], [&]<typename In>() { run_elementwise(L, CopyOp<Out, In>{}); }, none);
      },
      none);
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, copy, &copy_kernel);

}  // namespace ember::cuda
