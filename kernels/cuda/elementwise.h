// The one elementwise driver every CUDA elementwise kernel (copy, fill, unary, binary, ternary,
// random) runs on: a grid-stride loop over the flat index of a StridedLoop.
//
// Design. The host turns the StridedLoop into an ElementwiseGrid (a trivially copyable kernel
// parameter with byte strides). Each CUDA thread takes indices tid, tid + gridDim*blockDim, ...;
// consecutive threads take consecutive indices, so on contiguous data a warp reads and writes
// whole cache lines (coalesced). When every operand is contiguous (the front end coalesces such
// loops to one dim with unit strides), the `contiguous` instantiation addresses element i as
// data + i * size with no index decomposition; otherwise the flat index is split into
// coordinates (innermost last) once per element, which handles broadcast (stride 0), negative
// and arbitrary strides. The grid is capped (kMaxBlocks), so large tensors reuse threads
// instead of launching millions of blocks. `Op` is a functor struct (no lambdas: nvcc needs no
// --extended-lambda) with a constant kOperands (the operand count, so the pointer loops unroll)
// whose operator()(char* const* p, int64_t i) reads and writes the element through the operand
// pointers p; i is the flat index (random, arange, linspace and tri use it).
//
// Vector path. An op whose operand types are fixed at compile time (a ValueOp: `using Out`,
// `using Ins = TypeList<...>` and a value-level `Out apply(Ins...) const`, which its pointer-level
// operator() also calls through apply_pointers, so there is one computation) runs contiguous
// loops V = 16 / (largest operand size) elements per thread-iteration (f32: 4, f16/bf16: 8,
// f64/i64: 2, bool/i8/u8: 16): each operand's V elements move as one Vec<T, V>, a struct aligned
// to V * sizeof(T), so each load/store is one 16-byte LDG/STG.128 (narrower operands, e.g. the
// bool output of an f32 compare, get .32/.64), and the V applies run unrolled in registers. The
// grid strides over chunks of V; the n % V tail elements (fewer than one block's threads) go
// through the scalar operator() in the same kernel. The host picks the path: vector only when
// the loop is contiguous, n >= V and every operand's base pointer is aligned to V * sizeof(its
// type) (a view that starts mid-vector fails this); otherwise the scalar contiguous kernel runs.
// Both paths call the same apply, so results are bit-identical. Ops needing the flat index or
// device flags (random, arange, linspace, tri, integer fmod) define only operator().
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/cuda/elementwise_path.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/kernel_args.h"

namespace ember::cuda {

inline constexpr int kElementwiseThreads = 256;
inline constexpr int64_t kMaxBlocks = 4096;

struct ElementwiseGrid {
  int ndim = 0;
  int nops = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t byte_strides[kMaxOperands][kMaxDims] = {};
  int64_t elem_size[kMaxOperands] = {};
  char* data[kMaxOperands] = {};
};

inline ElementwiseGrid make_grid(const StridedLoop& L) {
  ElementwiseGrid g;
  g.ndim = L.ndim;
  g.nops = L.nops;
  for (int d = 0; d < L.ndim; ++d) g.sizes[d] = L.sizes[d];
  for (int k = 0; k < L.nops; ++k) {
    g.data[k] = L.data[k];
    g.elem_size[k] = static_cast<int64_t>(element_size(L.dtypes[k]));
    for (int d = 0; d < L.ndim; ++d) g.byte_strides[k][d] = L.strides[k][d] * g.elem_size[k];
  }
  return g;
}

// True when element i of every operand is at data + i * size.
inline bool is_contiguous(const StridedLoop& L) {
  if (L.ndim == 0) return true;
  if (L.ndim != 1) return false;
  for (int k = 0; k < L.nops; ++k)
    if (L.strides[k][0] != 1) return false;
  return true;
}

template <bool kContiguous, typename Op>
__global__ void elementwise_kernel(ElementwiseGrid g, int64_t n, Op op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    constexpr int kOps = Op::kOperands;
    char* p[kOps];
    if constexpr (kContiguous) {
      for (int k = 0; k < kOps; ++k) p[k] = g.data[k] + i * g.elem_size[k];
    } else {
      for (int k = 0; k < kOps; ++k) p[k] = g.data[k];
      int64_t rem = i;
      for (int d = g.ndim - 1; d >= 0; --d) {
        const int64_t c = rem % g.sizes[d];
        rem /= g.sizes[d];
        for (int k = 0; k < kOps; ++k) p[k] += c * g.byte_strides[k][d];
      }
    }
    op(p, i);
  }
}

// The operand types of a ValueOp's inputs.
template <typename... Ts>
struct TypeList {};

// V elements of T moved as one aligned load/store (LDG/STG of V * sizeof(T) bytes).
template <typename T, int V>
struct alignas(V * sizeof(T)) Vec {
  T v[V];
};

namespace detail {
template <typename Out, typename... Ins>
constexpr int vector_width(TypeList<Ins...>) {
  return static_cast<int>(16 / std::max({sizeof(Out), sizeof(Ins)...}));
}
template <typename Out, typename... Ins>
constexpr std::size_t operand_size(int k, TypeList<Ins...>) {
  constexpr std::size_t kSizes[] = {sizeof(Out), sizeof(Ins)...};
  return kSizes[k];
}
}  // namespace detail

// An op with compile-time operand types and a value-level apply (see the header comment).
template <typename Op>
concept ValueOp = requires {
  typename Op::Out;
  typename Op::Ins;
};

// Elements per thread-iteration of the vector path of a ValueOp.
template <ValueOp Op>
inline constexpr int kVectorWidth = detail::vector_width<typename Op::Out>(typename Op::Ins{});

// The pointer-level body of a ValueOp: *p[0] = op.apply(*p[1], *p[2], ...).
template <typename Op, typename... Ins, std::size_t... K>
__device__ __forceinline__ void apply_pointers(const Op& op, char* const* p, TypeList<Ins...>,
                                               std::index_sequence<K...>) {
  *reinterpret_cast<typename Op::Out*>(p[0]) =
      op.apply(*reinterpret_cast<const Ins*>(p[K + 1])...);
}
template <ValueOp Op>
__device__ __forceinline__ void apply_pointers(const Op& op, char* const* p) {
  apply_pointers(op, p, typename Op::Ins{}, std::make_index_sequence<Op::kOperands - 1>{});
}

namespace detail {
// The V applies of one chunk, on inputs taken by value: each Vec is copied from global memory
// whole (one vector load) before the applies, not element by element.
template <int V, typename Op, typename... InVec>
__device__ __forceinline__ Vec<typename Op::Out, V> apply_vec(const Op& op, const InVec... in) {
  Vec<typename Op::Out, V> out;
  for (int j = 0; j < V; ++j) out.v[j] = op.apply(in.v[j]...);
  return out;
}
// Chunk c: every input's V elements loaded (one vector load each) before the applies.
template <int V, typename Op, typename... Ins, std::size_t... K>
__device__ __forceinline__ void apply_chunk(const Op& op, char* const* data, int64_t c,
                                            TypeList<Ins...>, std::index_sequence<K...>) {
  using Out = typename Op::Out;
  reinterpret_cast<Vec<Out, V>*>(data[0])[c] =
      apply_vec<V>(op, reinterpret_cast<const Vec<Ins, V>*>(data[K + 1])[c]...);
}
}  // namespace detail

// Contiguous, aligned operands: grid-stride over chunks of V elements, then the n % V tail.
template <typename Op>
__global__ void elementwise_vector_kernel(ElementwiseGrid g, int64_t n, Op op) {
  constexpr int V = kVectorWidth<Op>, kOps = Op::kOperands;
  const int64_t chunks = n / V;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = tid; c < chunks; c += step) {
    detail::apply_chunk<V>(op, g.data, c, typename Op::Ins{}, std::make_index_sequence<kOps - 1>{});
  }
  const int64_t i = chunks * V + tid;  // the tail has fewer than V <= blockDim.x elements
  if (i < n) {
    char* p[kOps];
    for (int k = 0; k < kOps; ++k) p[k] = g.data[k] + i * g.elem_size[k];
    op(p, i);
  }
}

// True when the vector path may run op over L: contiguous, at least one chunk, every operand's
// base aligned to its Vec.
template <ValueOp Op>
bool takes_vector_path(const StridedLoop& L) {
  constexpr int V = kVectorWidth<Op>;
  if (!is_contiguous(L) || L.numel() < V) return false;
  for (int k = 0; k < Op::kOperands; ++k) {
    const std::size_t bytes = V * detail::operand_size<typename Op::Out>(k, typename Op::Ins{});
    if (reinterpret_cast<std::uintptr_t>(L.data[k]) % bytes != 0) return false;
  }
  return true;
}

// Runs op over every element of L on the default stream; the launch is checked.
template <typename Op>
void run_elementwise(const StridedLoop& L, const Op& op) {
  static_assert(Op::kOperands >= 1 && Op::kOperands <= kMaxOperands);
  EMBER_CHECK(L.nops == Op::kOperands, ValueError, "cuda elementwise driver: the loop has ", L.nops,
              " operands; the kernel expects ", Op::kOperands);
  const int64_t n = L.numel();
  if (n == 0) return;
  const ElementwiseGrid g = make_grid(L);
  const dim3 block(kElementwiseThreads);
  auto grid_for = [](int64_t items) {
    return dim3(static_cast<unsigned>(std::min<int64_t>(
        (items + kElementwiseThreads - 1) / kElementwiseThreads, kMaxBlocks)));
  };
  ElementwisePathCounts& counts = elementwise_path_counts();
  if constexpr (ValueOp<Op>) {
    if (takes_vector_path<Op>(L)) {
      counts.vector.fetch_add(1, std::memory_order_relaxed);
      EMBER_LAUNCH(elementwise_vector_kernel<Op>, grid_for(n / kVectorWidth<Op>), block, 0,
                   nullptr, g, n, op);
      return;
    }
  }
  if (is_contiguous(L)) {
    counts.contiguous.fetch_add(1, std::memory_order_relaxed);
    EMBER_LAUNCH((elementwise_kernel<true, Op>), grid_for(n), block, 0, nullptr, g, n, op);
  } else {
    counts.strided.fetch_add(1, std::memory_order_relaxed);
    EMBER_LAUNCH((elementwise_kernel<false, Op>), grid_for(n), block, 0, nullptr, g, n, op);
  }
}

// Loads and stores of one element in the op's arithmetic type.
template <typename T>
__device__ __forceinline__ acc_t<T> load(const char* p) {
  return static_cast<acc_t<T>>(*reinterpret_cast<const T*>(p));
}
template <typename T, typename V>
__device__ __forceinline__ void store(char* p, V v) {
  *reinterpret_cast<T*>(p) = static_cast<T>(v);
}

}  // namespace ember::cuda
