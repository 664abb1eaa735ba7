// Loop construction for elementwise kernels: broadcasting, dim coalescing.
#include "tensor/iterator.h"

namespace ember {

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  Strides s = Shape::filled(shape.size(), 0);
  int off = shape.size() - t.dim();
  for (int i = 0; i < t.dim(); ++i) s[off + i] = t.size(i) == 1 ? 0 : t.stride(i);
  return s;
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (first == nullptr) {
      first = t;
    } else if (t->device() != first->device()) {
      throw DeviceError(str(op, ": tensors are on different devices (", first->device().str(),
                            " and ", t->device().str(), "); move them with .to(device) first"));
    }
  }
}

StridedLoop make_loop(const Tensor& out, std::initializer_list<const Tensor*> inputs,
                      bool coalesce) {
  StridedLoop loop;
  const Shape& shape = out.shape();
  loop.nops = 1 + static_cast<int>(inputs.size());
  Strides strides[kMaxOperands];
  strides[0] = out.strides();
  loop.data[0] = static_cast<char*>(out.data_ptr());
  loop.dtypes[0] = out.dtype();
  int k = 1;
  for (const Tensor* in : inputs) {
    strides[k] = broadcast_strides(*in, shape);
    loop.data[k] = static_cast<char*>(in->data_ptr());
    loop.dtypes[k] = in->dtype();
    ++k;
  }

  // Drop size-1 dims, then merge dim i into dim i+1 when every operand steps through them as
  // one: stride[i] == stride[i+1] * size[i+1].
  int n = 0;
  int64_t sizes[kMaxDims];
  int64_t st[kMaxOperands][kMaxDims];
  for (int d = 0; d < shape.size(); ++d) {
    if (coalesce && shape[d] == 1) continue;
    sizes[n] = shape[d];
    for (int op = 0; op < loop.nops; ++op) st[op][n] = strides[op][d];
    ++n;
  }
  if (coalesce && n > 1) {
    int m = 0;  // index of the last kept dim
    for (int d = 1; d < n; ++d) {
      bool mergeable = true;
      for (int op = 0; op < loop.nops; ++op) mergeable &= st[op][m] == st[op][d] * sizes[d];
      if (mergeable) {
        sizes[m] *= sizes[d];
        for (int op = 0; op < loop.nops; ++op) st[op][m] = st[op][d];
      } else {
        ++m;
        sizes[m] = sizes[d];
        for (int op = 0; op < loop.nops; ++op) st[op][m] = st[op][d];
      }
    }
    n = m + 1;
  }
  loop.ndim = n;
  for (int d = 0; d < n; ++d) {
    loop.sizes[d] = sizes[d];
    for (int op = 0; op < loop.nops; ++op) loop.strides[op][d] = st[op][d];
  }
  // A tensor with a zero-size dim has no elements; keep that visible to the kernel.
  if (out.numel() == 0) {
    loop.ndim = 1;
    loop.sizes[0] = 0;
  }
  return loop;
}

}  // namespace ember
