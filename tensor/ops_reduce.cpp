// Front end of the reductions (sum prod amax amin all any var argmax argmin) and of the
// composite reductions built on them (mean std max min logsumexp norm): dim resolution, output
// dtypes, empty-reduction rules, the coalesced ReduceLoop, and keepdim views.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"

namespace ember {

namespace {

using DimMask = std::array<bool, kMaxDims>;

// `dims` as a mask over x's dims: empty means every dim; negative dims wrap. A 0-d tensor
// accepts dim 0 / -1 and reduces nothing.
DimMask resolve_dims(const Tensor& x, const Shape& dims, const char* op) {
  DimMask mask{};
  if (dims.empty()) {
    mask.fill(true);
    return mask;
  }
  for (int64_t d : dims) {
    int w = wrap_dim(d, x.dim(), op);
    EMBER_CHECK(!mask[w], ShapeError, op, ": dims ", dims, " name dim ", w,
                " more than once; expected distinct dims");
    mask[w] = true;
  }
  return mask;
}

DimMask single_dim(const Tensor& x, int64_t dim, const char* op) {
  DimMask mask{};
  mask[wrap_dim(dim, x.dim(), op)] = true;
  return mask;
}

struct Plan {
  ReduceLoop loop;    // sizes and strides; pointers and dtypes are filled at launch
  Shape out_shape;    // the kept dims
  Shape keep_shape;   // the input's rank, reduced dims as 1 (keepdim)
  int64_t count = 1;  // elements reduced into each output
  int zero_dim = -1;  // the first reduced dim of size 0, if any
};

struct Dim {
  int64_t size, in_stride, out_stride;
};

// Appends d, merged into the last dim when input and output step through both as one.
void push_coalesced(std::vector<Dim>& dims, Dim d) {
  if (!dims.empty()) {
    Dim& last = dims.back();
    if (last.in_stride == d.in_stride * d.size && last.out_stride == d.out_stride * d.size) {
      last.size *= d.size;
      last.in_stride = d.in_stride;
      last.out_stride = d.out_stride;
      return;
    }
  }
  dims.push_back(d);
}

// The loop of a reduction of x over `mask`: size-1 dims dropped, kept dims in the input's order
// with the contiguous output's strides, reduced dims ordered by decreasing |stride| (so a
// permuted contiguous input still has a unit-stride innermost reduced dim), adjacent dims
// coalesced when they step as one.
Plan make_plan(const Tensor& x, const DimMask& mask) {
  Plan p;
  const int nd = x.dim();
  for (int d = 0; d < nd; ++d) {
    if (mask[d]) {
      p.keep_shape.push_back(1);
      p.count *= x.size(d);
      if (x.size(d) == 0 && p.zero_dim < 0) p.zero_dim = d;
    } else {
      p.out_shape.push_back(x.size(d));
      p.keep_shape.push_back(x.size(d));
    }
  }
  const Strides out_strides = contiguous_strides(p.out_shape);
  std::vector<Dim> kept, red;
  int k = 0;
  for (int d = 0; d < nd; ++d) {
    if (mask[d]) {
      if (x.size(d) != 1) red.push_back({x.size(d), x.stride(d), 0});
    } else {
      if (x.size(d) != 1) push_coalesced(kept, {x.size(d), x.stride(d), out_strides[k]});
      ++k;
    }
  }
  if (p.count == 0) red = {{0, 1, 0}};
  std::stable_sort(red.begin(), red.end(), [](const Dim& a, const Dim& b) {
    return std::abs(a.in_stride) > std::abs(b.in_stride);
  });
  std::vector<Dim> red_merged;
  for (const Dim& d : red) push_coalesced(red_merged, d);

  ReduceLoop& L = p.loop;
  L.kept_ndim = static_cast<int>(kept.size());
  for (int i = 0; i < L.kept_ndim; ++i) {
    L.kept_sizes[i] = kept[i].size;
    L.kept_in_strides[i] = kept[i].in_stride;
    L.kept_out_strides[i] = kept[i].out_stride;
  }
  L.red_ndim = static_cast<int>(red_merged.size());
  for (int i = 0; i < L.red_ndim; ++i) {
    L.red_sizes[i] = red_merged[i].size;
    L.red_strides[i] = red_merged[i].in_stride;
  }
  return p;
}

[[noreturn]] void throw_no_identity(const char* op, const Tensor& x, int dim) {
  throw IndexError(str(op, ": cannot reduce over the zero-size dim ", dim, " of a tensor of shape ",
                       x.shape(),
                       " (the op has no identity); expected reduced dims of nonzero "
                       "size"));
}

void require_floating(const Tensor& x, const char* op) {
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, op, ": input has dtype ", dtype_name(x.dtype()),
              "; expected a floating dtype (f32, f64, f16 or bf16), e.g. x.to(DType::f32)");
}

struct Launch {
  Tensor out;
  Tensor indices;  // argmax/argmin only
};

// Allocates the outputs (kept dims only) and runs the kernel when there is anything to write.
Launch launch(OpId op, const Tensor& x, const Plan& p, DType out_dtype, const ScalarArgs& args,
              bool with_indices = false) {
  Launch r;
  r.out = empty(p.out_shape, out_dtype, x.device());
  if (with_indices) r.indices = empty(p.out_shape, DType::i64, x.device());
  if (r.out.numel() == 0) return r;
  ReduceLoop L = p.loop;
  L.in = static_cast<const char*>(x.data_ptr());
  L.in_dtype = x.dtype();
  L.out = static_cast<char*>(r.out.data_ptr());
  L.out_dtype = out_dtype;
  if (with_indices) L.indices = static_cast<int64_t*>(r.indices.data_ptr());
  kernel<ReduceKernel>(op, x.device().type)(L, args);
  return r;
}

Tensor shaped(const Tensor& t, const Plan& p, bool keepdim) {
  return keepdim ? t.view(p.keep_shape) : t;
}

Shape mask_dims(const Tensor& x, const DimMask& mask) {
  Shape dims;
  for (int d = 0; d < x.dim(); ++d) {
    if (mask[d]) dims.push_back(d);
  }
  return dims;
}

// A reduction op over a dim mask. `identity`: false for ops that cannot reduce nothing.
// `recorded_as`: the op autograd sees (mean runs the sum kernel).
Tensor reduce(OpId op, const char* name, const Tensor& x, const DimMask& mask, bool keepdim,
              DType out_dtype, bool identity, const ScalarArgs& args = {},
              std::optional<OpId> recorded_as = {}) {
  Plan p = make_plan(x, mask);
  if (!identity && p.zero_dim >= 0) throw_no_identity(name, x, p.zero_dim);
  Tensor out = shaped(launch(op, x, p, out_dtype, args).out, p, keepdim);
  if (grad_recording({&x})) {
    record_op(OpCall{.op = recorded_as.value_or(op), .inputs = {x}, .outputs = {out},
                     .dims = mask_dims(x, mask), .keepdim = keepdim, .a = args.a, .b = args.b});
  }
  return out;
}

DType sum_dtype(DType d) { return is_floating(d) ? d : DType::i64; }

// Values and first index of the max (kMax) or min along one dim.
ValuesIndices arg_reduce(bool is_max, const char* name, const Tensor& x, int64_t dim,
                         bool keepdim) {
  Plan p = make_plan(x, single_dim(x, dim, name));
  if (p.zero_dim >= 0) throw_no_identity(name, x, p.zero_dim);
  Launch r = launch(is_max ? OpId::argmax : OpId::argmin, x, p, x.dtype(), {}, true);
  ValuesIndices out{shaped(r.out, p, keepdim), shaped(r.indices, p, keepdim)};
  if (grad_recording({&x})) {
    record_op(OpCall{.op = is_max ? OpId::argmax : OpId::argmin, .inputs = {x},
                     .outputs = {out.values, out.indices}, .dim = dim, .keepdim = keepdim});
  }
  return out;
}

Tensor arg_full(bool is_max, const char* name, const Tensor& x, std::optional<int64_t> dim,
                bool keepdim) {
  if (dim) return arg_reduce(is_max, name, x, *dim, keepdim).indices;
  // Index into the flattened tensor.
  if (x.numel() == 0) {
    int zero = 0;
    while (x.size(zero) != 0) ++zero;
    throw_no_identity(name, x, zero);
  }
  Tensor idx = arg_reduce(is_max, name, x.reshape({-1}), 0, false).indices;
  return keepdim ? idx.view(Shape::filled(x.dim(), 1)) : idx;
}

// Half inputs of the elementwise composites compute in f32 and round once at the end.
DType compute_dtype(DType d) { return d == DType::f16 || d == DType::bf16 ? DType::f32 : d; }

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::sum, "sum", x, resolve_dims(x, dims, "sum"), keepdim, sum_dtype(x.dtype()),
                true);
}

// The sum kernel divides by the count in its accumulator (f32 for f16/bf16, double for f32):
// one rounding to the output dtype, no overflow of a f16 intermediate sum. Empty: 0/0 = NaN.
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  require_floating(x, "mean");
  ScalarArgs args;
  args.b = 1.0;
  return reduce(OpId::sum, "mean", x, resolve_dims(x, dims, "mean"), keepdim, x.dtype(), true,
                args, OpId::mean);
}

Tensor prod(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::prod, "prod", x, resolve_dims(x, dims, "prod"), keepdim, sum_dtype(x.dtype()),
                true);
}

// M2 / max(N - correction, 0): NaN when that is 0/0, inf when only the divisor is 0.
Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  require_floating(x, "var");
  ScalarArgs args;
  args.a = static_cast<double>(correction);
  return reduce(OpId::var, "var", x, resolve_dims(x, dims, "var"), keepdim, x.dtype(), true, args);
}

// sqrt of a variance kept in f32 for f16/bf16 inputs, so the result is rounded once.
Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  require_floating(x, "std");
  ScalarArgs args;
  args.a = static_cast<double>(correction);
  Tensor v = reduce(OpId::var, "std", x, resolve_dims(x, dims, "std"), keepdim,
                    compute_dtype(x.dtype()), true, args);
  return sqrt(v).to(x.dtype());
}

Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::amax, "amax", x, resolve_dims(x, dims, "amax"), keepdim, x.dtype(), false);
}

Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::amin, "amin", x, resolve_dims(x, dims, "amin"), keepdim, x.dtype(), false);
}

Tensor max(const Tensor& x) {
  return reduce(OpId::amax, "max", x, resolve_dims(x, {}, "max"), false, x.dtype(), false);
}

Tensor min(const Tensor& x) {
  return reduce(OpId::amin, "min", x, resolve_dims(x, {}, "min"), false, x.dtype(), false);
}

ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce(true, "max", x, dim, keepdim);
}

ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_reduce(false, "min", x, dim, keepdim);
}

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_full(true, "argmax", x, dim, keepdim);
}

Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_full(false, "argmin", x, dim, keepdim);
}

Tensor all(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::all, "all", x, resolve_dims(x, dims, "all"), keepdim, DType::b8, true);
}

Tensor any(const Tensor& x, const Shape& dims, bool keepdim) {
  return reduce(OpId::any, "any", x, resolve_dims(x, dims, "any"), keepdim, DType::b8, true);
}

// m + log(sum(exp(x - m))) with m = amax(x), replaced by 0 where it is infinite, so rows of
// -inf give -inf and a +inf element gives +inf. An empty reduction is log(0) = -inf.
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  require_floating(x, "logsumexp");
  Plan p = make_plan(x, resolve_dims(x, dims, "logsumexp"));
  if (p.count == 0)
    return full(keepdim ? p.keep_shape : p.out_shape, -INFINITY, x.dtype(), x.device());
  Tensor xf = x.to(compute_dtype(x.dtype()));
  Tensor m = amax(xf, dims, true);
  Tensor shift = where(eq(abs(m), INFINITY), 0.0, m);
  Tensor r = add(log(sum(exp(sub(xf, shift)), dims, true)), shift);
  return (keepdim ? r : r.view(p.out_shape)).to(x.dtype());
}

// p = 1: sum |x|; p = inf: amax |x|; p = 2: sqrt(sum x^2) with the squares and their sum in
// f64 for f32 (and in f32 for f16/bf16), so they cannot overflow; an f64 input squares in f64
// (overflow only past 1e154).
Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  require_floating(x, "norm");
  const bool inf = std::isinf(p) && p > 0;
  EMBER_CHECK(p == 1.0 || p == 2.0 || inf, ValueError, "norm: p = ", p,
              " is not supported; expected 1, 2 or infinity");
  Plan plan = make_plan(x, resolve_dims(x, dims, "norm"));
  if (inf) {
    if (plan.zero_dim >= 0) throw_no_identity("norm", x, plan.zero_dim);
    return amax(abs(x), dims, keepdim);
  }
  if (p == 1.0) return sum(abs(x), dims, keepdim);
  const bool half = compute_dtype(x.dtype()) != x.dtype();
  Tensor w = x.to(half ? DType::f32 : DType::f64);
  return sqrt(sum(square(w), dims, keepdim)).to(x.dtype());
}

}  // namespace ember
