// Front end of the indexing ops: gather, scatter, scatter_add, index_select, index_add,
// masked_select, and the composites built on them (one_hot, embedding).
#include <cmath>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"

namespace ember {

namespace {

void check_index_dtype(const Tensor& index, const char* op) {
  EMBER_CHECK(index.dtype() == DType::i64, DTypeError, op, ": index must be i64, got ",
              dtype_name(index.dtype()));
}

// index_select / index_add / embedding take i64 or i32 indices; i32 is widened.
Tensor index_as_i64(const Tensor& index, const char* op) {
  EMBER_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32, DTypeError, op,
              ": index must be i64 or i32, got ", dtype_name(index.dtype()));
  return index.to(DType::i64);
}

void check_same_dtype(const Tensor& x, const Tensor& src, const char* op) {
  EMBER_CHECK(src.dtype() == x.dtype(), DTypeError, op, ": src has dtype ", dtype_name(src.dtype()),
              " but the input has dtype ", dtype_name(x.dtype()), "; expected the same dtype");
}

void check_numeric(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dtype() != DType::b8, DTypeError, op,
              ": bool tensors are not supported; expected a floating or integer dtype");
}

// The loop and the `indexed` / `other` / `index` operands of an IndexArgs.
IndexArgs index_args(const Shape& sizes, int dim, const Tensor& indexed, const Tensor& other,
                     const Tensor& index, bool one_d) {
  IndexArgs a;
  a.ndim = sizes.size();
  a.dim = dim;
  for (int d = 0; d < a.ndim; ++d) {
    a.sizes[d] = sizes[d];
    a.indexed_strides[d] = indexed.stride(d);
    a.other_strides[d] = other.stride(d);
    if (!one_d) a.index_strides[d] = index.stride(d);
  }
  if (one_d) a.index_strides[0] = index.dim() == 0 ? 0 : index.stride(0);
  a.indexed = static_cast<char*>(indexed.data_ptr());
  a.bound = indexed.size(dim);
  a.other = static_cast<char*>(other.data_ptr());
  a.index = static_cast<const int64_t*>(index.data_ptr());
  a.dtype = indexed.dtype();
  return a;
}

// gather / scatter take x and index with the same number of dims; index.size(d) may not
// exceed x.size(d) off `dim`.
void check_gather_shapes(const Tensor& x, int dim, const Tensor& index, const char* op) {
  EMBER_CHECK(index.dim() == x.dim(), ShapeError, op, ": index of shape ", index.shape(), " has ",
              index.dim(), " dims but the input of shape ", x.shape(), " has ", x.dim(),
              "; expected the same number of dims");
  for (int d = 0; d < x.dim(); ++d) {
    if (d == dim) continue;
    EMBER_CHECK(index.size(d) <= x.size(d), ShapeError, op, ": index of shape ", index.shape(),
                " is larger than the input of shape ", x.shape(), " in dim ", d, " (",
                index.size(d), " > ", x.size(d),
                "); expected index.size(d) <= input.size(d) "
                "for every d != dim ",
                dim);
  }
}

// Writes src into out (in place) at the positions of index along dim; op is scatter or
// scatter_add. src may be larger than index in any dim.
void scatter_into(OpId op, Tensor& out, int dim, const Tensor& index, const Tensor& src) {
  const char* name = op_name(op);
  check_gather_shapes(out, dim, index, name);
  EMBER_CHECK(src.dim() == index.dim(), ShapeError, name, ": src of shape ", src.shape(), " has ",
              src.dim(), " dims but the index of shape ", index.shape(), " has ", index.dim(),
              "; expected the same number of dims");
  for (int d = 0; d < index.dim(); ++d) {
    EMBER_CHECK(index.size(d) <= src.size(d), ShapeError, name, ": index of shape ", index.shape(),
                " is larger than src of shape ", src.shape(), " in dim ", d, " (", index.size(d),
                " > ", src.size(d), "); expected index.size(d) <= src.size(d)");
  }
  if (index.numel() == 0) return;
  IndexArgs a = index_args(index.shape(), dim, out, src, index, /*one_d=*/false);
  kernel<IndexKernel>(op, out.device().type)(a);
  out.storage()->bump_version();
}

// 0-d inputs of gather / scatter are handled as 1-d tensors of one element.
Tensor as_1d(const Tensor& t) { return t.dim() == 0 ? t.view({1}) : t; }

Tensor scatter_op(OpId op, const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  const char* name = op_name(op);
  check_index_dtype(index, name);
  check_same_device(name, {&x, &index, &src});
  check_same_dtype(x, src, name);
  if (op == OpId::scatter_add) check_numeric(x, name);
  int d = wrap_dim(dim, x.dim(), name);
  Tensor out = x.detach().clone();
  Tensor out1 = as_1d(out);
  scatter_into(op, out1, d, as_1d(index), as_1d(src));
  if (grad_recording({&x, &src})) {
    record_op(OpCall{.op = op, .inputs = {x, index, src}, .outputs = {out}, .dim = d});
  }
  return out;
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_index_dtype(index, "gather");
  check_same_device("gather", {&x, &index});
  int d = wrap_dim(dim, x.dim(), "gather");
  Tensor x1 = as_1d(x.detach()), index1 = as_1d(index);
  check_gather_shapes(x1, d, index1, "gather");
  Tensor out = empty(index.shape(), x.dtype(), x.device());
  if (out.numel() > 0) {
    Tensor out1 = as_1d(out);
    IndexArgs a = index_args(index1.shape(), d, x1, out1, index1, /*one_d=*/false);
    kernel<IndexKernel>(OpId::gather, x.device().type)(a);
  }
  if (grad_recording({&x})) {
    record_op(OpCall{.op = OpId::gather, .inputs = {x, index}, .outputs = {out}, .dim = d});
  }
  return out;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op(OpId::scatter, x, dim, index, src);
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value) {
  Tensor src = scalar_tensor(value, x.dtype(), x.device()).expand(index.shape());
  return scatter_op(OpId::scatter, x, dim, index, src);
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op(OpId::scatter_add, x, dim, index, src);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor idx = index_as_i64(index, "index_select");
  check_same_device("index_select", {&x, &idx});
  EMBER_CHECK(x.dim() >= 1, ShapeError,
              "index_select: the input is 0-d; expected a tensor with at least 1 dim");
  EMBER_CHECK(idx.dim() <= 1, ShapeError, "index_select: index of shape ", idx.shape(), " has ",
              idx.dim(), " dims; expected a 1-d (or 0-d) index");
  int d = wrap_dim(dim, x.dim(), "index_select");
  Shape s = x.shape();
  s[d] = idx.numel();
  Tensor out = empty(s, x.dtype(), x.device());
  if (out.numel() > 0) {
    IndexArgs a = index_args(s, d, x, out, idx, /*one_d=*/true);
    kernel<IndexKernel>(OpId::index_select, x.device().type)(a);
  }
  if (grad_recording({&x})) {
    record_op(OpCall{.op = OpId::index_select, .inputs = {x, idx}, .outputs = {out}, .dim = d});
  }
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 double alpha) {
  Tensor idx = index_as_i64(index, "index_add");
  check_same_device("index_add", {&x, &idx, &src});
  check_same_dtype(x, src, "index_add");
  check_numeric(x, "index_add");
  EMBER_CHECK(x.dim() >= 1, ShapeError,
              "index_add: the input is 0-d; expected a tensor with at least 1 dim");
  EMBER_CHECK(idx.dim() <= 1, ShapeError, "index_add: index of shape ", idx.shape(), " has ",
              idx.dim(), " dims; expected a 1-d (or 0-d) index");
  int d = wrap_dim(dim, x.dim(), "index_add");
  Shape want = x.shape();
  want[d] = idx.numel();
  EMBER_CHECK(src.shape() == want, ShapeError, "index_add: src of shape ", src.shape(),
              " does not match the input of shape ", x.shape(), " with ", idx.numel(),
              " indices along dim ", d, "; expected src of shape ", want);
  if (!is_floating(x.dtype())) {
    EMBER_CHECK(std::isfinite(alpha) && std::trunc(alpha) == alpha && std::fabs(alpha) < 9.2e18,
                ValueError, "index_add: alpha ", alpha,
                " is not a whole number; integer "
                "inputs of dtype ",
                dtype_name(x.dtype()), " need an integral alpha");
  }
  Tensor out = x.detach().clone();
  if (src.numel() > 0) {
    IndexArgs a = index_args(src.shape(), d, out, src, idx, /*one_d=*/true);
    a.alpha = alpha;
    kernel<IndexKernel>(OpId::index_add, x.device().type)(a);
  }
  if (grad_recording({&x, &src})) {
    record_op(OpCall{.op = OpId::index_add, .inputs = {x, idx, src}, .outputs = {out}, .dim = d,
                     .a = alpha});
  }
  return out;
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == DType::b8, DTypeError, "masked_select: mask must be bool, got ",
              dtype_name(mask.dtype()));
  check_same_device("masked_select", {&x, &mask});
  Shape s = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  Tensor in = x.expand(s).contiguous();
  Tensor m = mask.expand(s).contiguous();
  MaskedSelectArgs a;
  a.numel = in.numel();
  a.in = static_cast<const char*>(in.data_ptr());
  a.mask = static_cast<const bool*>(m.data_ptr());
  a.dtype = x.dtype();
  const auto select = kernel<MaskedSelectKernel>(OpId::masked_select, x.device().type);
  Tensor out;
  if (x.device().is_cpu()) {
    // The output size is the number of true mask elements, counted first.
    const bool* mp = static_cast<const bool*>(m.data_ptr());
    int64_t count = 0;
    for (int64_t i = 0; i < m.numel(); ++i) count += mp[i] ? 1 : 0;
    out = empty({count}, x.dtype(), x.device());
    if (count > 0) {
      a.out = static_cast<char*>(out.data_ptr());
      const int64_t written = select(a);
      EMBER_CHECK(written == count, Error, "masked_select: the kernel wrote ", written,
                  " elements; expected ", count);
    }
  } else {
    // Counting would copy the mask to the host: the kernel selects into room for every
    // element and returns the count, and the output is trimmed to it on the device.
    Tensor room = empty({in.numel()}, x.dtype(), x.device());
    a.out = static_cast<char*>(room.data_ptr());
    const int64_t count = in.numel() > 0 ? select(a) : 0;
    out = count == in.numel() ? room : room.narrow(0, 0, count).clone();
  }
  // Recorded on the broadcast input (which records its own expand and copy) and the mask.
  if (grad_recording({&in})) {
    record_op(OpCall{.op = OpId::masked_select, .inputs = {in, m}, .outputs = {out}});
  }
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  EMBER_CHECK(indices.dtype() == DType::i64, DTypeError, "one_hot: indices must be i64, got ",
              dtype_name(indices.dtype()));
  EMBER_CHECK(num_classes >= -1, ValueError, "one_hot: num_classes ", num_classes,
              " is invalid; expected -1 (infer) or a count >= 0");
  Tensor host = indices.contiguous().to(Device::cpu());
  const int64_t* p = static_cast<const int64_t*>(host.data_ptr());
  const int64_t n = host.numel();
  int64_t max_index = -1;
  for (int64_t i = 0; i < n; ++i) {
    EMBER_CHECK(p[i] >= 0, IndexError, "one_hot: index ", p[i],
                " is negative; expected class indices in [0, num_classes)");
    max_index = std::max(max_index, p[i]);
  }
  if (num_classes == -1) {
    EMBER_CHECK(n > 0, ValueError,
                "one_hot: cannot infer num_classes from an empty tensor; "
                "pass num_classes explicitly");
    num_classes = max_index + 1;
  }
  EMBER_CHECK(max_index < num_classes, IndexError, "one_hot: index ", max_index,
              " is out of range for num_classes ", num_classes, "; expected class indices in [0, ",
              num_classes, ")");
  Shape s = indices.shape();
  s.push_back(num_classes);
  Tensor out = zeros(s, DType::i64, indices.device());
  if (n == 0) return out;
  Tensor index = indices.unsqueeze(-1);
  Tensor one = scalar_tensor(1.0, DType::i64, indices.device()).expand(index.shape());
  scatter_into(OpId::scatter, out, out.dim() - 1, index, one);
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  EMBER_CHECK(weight.dim() == 2, ShapeError, "embedding: weight of shape ", weight.shape(), " has ",
              weight.dim(), " dims; expected a 2-d [num_embeddings, embedding_dim]");
  EMBER_CHECK(is_integral(indices.dtype()), DTypeError,
              "embedding: indices must have an integer dtype, got ", dtype_name(indices.dtype()));
  Tensor flat = indices.to(DType::i64).reshape({-1});
  Tensor rows = index_select(weight, 0, flat);
  Shape s = indices.shape();
  s.push_back(weight.size(1));
  return rows.view(s);
}

}  // namespace ember
