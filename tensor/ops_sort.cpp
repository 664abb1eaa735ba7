// Front end of the sort family: sort, argsort, topk and unique. Every dtype sorts, bool
// included (false < true); NaN sorts as the largest value, so it comes last ascending and
// first descending, and unique keeps each NaN as a value of its own (kernels/cpu/sort.cpp).
#include <algorithm>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/ops.h"

namespace ember {

namespace {

// Sorts along `dim` and keeps the first k of each line (k = -1: all). The kernel sorts the
// last dim of a contiguous [rows, len] tensor, so `dim` is swapped to the end and back.
ValuesIndices sort_along(OpId op, const Tensor& x, int64_t k, int64_t dim, bool descending) {
  const int d = wrap_dim(dim, x.dim(), op_name(op));
  Tensor xd = x.detach();
  Tensor xt = x.dim() == 0 ? xd.reshape({1}) : xd.transpose(d, -1).contiguous();
  const int64_t len = xt.shape().back();
  if (k < 0) k = len;
  Shape out_shape = xt.shape();
  out_shape[out_shape.size() - 1] = k;
  Tensor values = empty(out_shape, x.dtype(), x.device());
  Tensor indices = empty(out_shape, DType::i64, x.device());
  SortArgs args;
  args.rows = len == 0 ? 0 : xt.numel() / len;
  args.len = len;
  args.k = k;
  args.in = static_cast<const char*>(xt.data_ptr());
  args.values = static_cast<char*>(values.data_ptr());
  args.indices = static_cast<int64_t*>(indices.data_ptr());
  args.descending = descending;
  args.dtype = x.dtype();
  kernel<SortKernel>(op, x.device().type)(args);
  ValuesIndices r{values, indices};  // a 0-d input's topk with k = 0: 1-d and empty
  if (x.dim() != 0) {
    r = {values.transpose(d, -1), indices.transpose(d, -1)};
  } else if (k == 1) {
    r = {values.reshape({}), indices.reshape({})};
  }
  if (grad_recording({&x})) {
    record_op(OpCall{.op = op, .inputs = {x}, .outputs = {r.values, r.indices}, .dim = d});
  }
  return r;
}

}  // namespace

ValuesIndices sort(const Tensor& x, int64_t dim, bool descending) {
  return sort_along(OpId::sort, x, -1, dim, descending);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  return sort(x, dim, descending).indices;
}

ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  const int d = wrap_dim(dim, x.dim(), "topk");
  const int64_t size = x.dim() == 0 ? 1 : x.size(d);
  EMBER_CHECK(k >= 0 && k <= size, ValueError, "topk: k = ", k, " is out of range for dim ", dim,
              " of size ", size, " in shape ", x.shape(), "; expected 0 <= k <= ", size);
  return sort_along(OpId::topk, x, k, dim, largest);
}

UniqueResult unique(const Tensor& x) {
  Tensor flat = x.contiguous();
  const int64_t n = flat.numel();
  Tensor values = empty({n}, x.dtype(), x.device());
  Tensor inverse = empty({n}, DType::i64, x.device());
  Tensor counts = empty({n}, DType::i64, x.device());
  UniqueArgs args;
  args.numel = n;
  args.in = static_cast<const char*>(flat.data_ptr());
  args.values = static_cast<char*>(values.data_ptr());
  args.inverse = static_cast<int64_t*>(inverse.data_ptr());
  args.counts = static_cast<int64_t*>(counts.data_ptr());
  args.dtype = x.dtype();
  const int64_t m = kernel<UniqueKernel>(OpId::unique, x.device().type)(args);
  // Copies, so the results do not pin buffers sized for n values.
  return {values.narrow(0, 0, m).clone(), inverse.view(x.shape()), counts.narrow(0, 0, m).clone()};
}

}  // namespace ember
