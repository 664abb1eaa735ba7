// Tensor: a cheap, shared handle to a strided view of a Storage. Views (view, permute, slice,
// expand, ...) share storage; every other op returns a new tensor. Free-function forms of all
// ops are in tensor/ops.h; the methods here forward to them so code reads like PyTorch.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/dtype.h"
#include "tensor/device.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace ember {

struct AutogradMeta;  // defined in autograd/: grad, the node that produced the tensor

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<AutogradMeta> autograd;  // set by autograd/ on leaves and recorded outputs
};

class Tensor;
struct ValuesIndices;

class Tensor {
 public:
  Tensor() = default;  // undefined: holds no data
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int dim() const { return shape().size(); }
  int64_t numel() const { return shape().numel(); }
  int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  size_t element_size() const { return ember::element_size(dtype()); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  bool shares_storage(const Tensor& other) const { return storage() == other.storage(); }
  TensorImpl& impl() const;

  // Address of element 0. data<T>() checks that T matches the dtype.
  void* data_ptr() const;
  template <typename T>
  T* data() const {
    check_dtype(dtype_v<T>, "data");
    return static_cast<T*>(data_ptr());
  }

  // Element access (for tests and small tools, not hot loops). item() needs one element;
  // item() and to_vector() read any device (copying to the host), at() needs a cpu tensor.
  template <typename T>
  T item() const;
  double item() const { return item<double>(); }
  template <typename T>
  T at(const Shape& index) const;  // index may be negative per dim
  // All elements, in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // --- views: share storage, no copy -------------------------------------------------------
  Tensor view(const Shape& shape) const;  // one -1 allowed; must be expressible with strides
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a contiguous copy
  Tensor permute(const Shape& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // 2-d transpose (0-d and 1-d unchanged)
  Tensor slice(int64_t dim, std::optional<int64_t> start = {}, std::optional<int64_t> end = {},
               int64_t step = 1) const;  // Python slicing rules, step > 0
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a dim
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  // A view with arbitrary shape/strides/offset over the same storage (checked against it).
  Tensor as_strided(const Shape& shape, const Strides& strides,
                    std::optional<int64_t> offset = {}) const;

  // --- copies --------------------------------------------------------------------------------
  Tensor contiguous() const;  // this tensor when already contiguous
  Tensor clone() const;
  Tensor to(DType dtype) const;  // this tensor when the dtype already matches
  Tensor to(Device device) const;
  Tensor& copy_(const Tensor& src);  // broadcasts src into this, casting; bumps the version
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  // --- ops (see tensor/ops.h for the documentation of each) ----------------------------------
#define EMBER_UNARY_METHOD(name) Tensor name() const;
  EMBER_UNARY_METHOD(neg) EMBER_UNARY_METHOD(abs) EMBER_UNARY_METHOD(sign)
  EMBER_UNARY_METHOD(exp) EMBER_UNARY_METHOD(exp2) EMBER_UNARY_METHOD(log)
  EMBER_UNARY_METHOD(log2) EMBER_UNARY_METHOD(log1p) EMBER_UNARY_METHOD(expm1)
  EMBER_UNARY_METHOD(sqrt) EMBER_UNARY_METHOD(rsqrt) EMBER_UNARY_METHOD(sin)
  EMBER_UNARY_METHOD(cos) EMBER_UNARY_METHOD(tan) EMBER_UNARY_METHOD(tanh)
  EMBER_UNARY_METHOD(sigmoid) EMBER_UNARY_METHOD(relu) EMBER_UNARY_METHOD(silu)
  EMBER_UNARY_METHOD(floor) EMBER_UNARY_METHOD(ceil) EMBER_UNARY_METHOD(round)
  EMBER_UNARY_METHOD(trunc) EMBER_UNARY_METHOD(reciprocal) EMBER_UNARY_METHOD(square)
  EMBER_UNARY_METHOD(erf) EMBER_UNARY_METHOD(logical_not)
#undef EMBER_UNARY_METHOD
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;

  Tensor add(const Tensor& other) const;
  Tensor sub(const Tensor& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(double exponent) const;

  Tensor sum(const Shape& dims = {}, bool keepdim = false) const;
  Tensor mean(const Shape& dims = {}, bool keepdim = false) const;
  Tensor prod(const Shape& dims = {}, bool keepdim = false) const;
  Tensor var(const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor amax(const Shape& dims = {}, bool keepdim = false) const;
  Tensor amin(const Shape& dims = {}, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  ValuesIndices max(int64_t dim, bool keepdim = false) const;
  ValuesIndices min(int64_t dim, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = {}, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = {}, bool keepdim = false) const;
  Tensor logsumexp(const Shape& dims = {}, bool keepdim = false) const;
  Tensor norm(double p = 2.0, const Shape& dims = {}, bool keepdim = false) const;
  Tensor all(const Shape& dims = {}, bool keepdim = false) const;
  Tensor any(const Shape& dims = {}, bool keepdim = false) const;

  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // --- autograd (defined in autograd/engine.cpp) ------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool requires_grad = true);  // leaves of a floating dtype only
  Tensor grad() const;     // accumulated gradient; undefined until a backward reaches it
  void set_grad(const Tensor& grad) const;  // undefined clears it (zero_grad set-to-none)
  bool is_leaf() const;    // not produced by a recorded op
  void retain_grad() const;  // keep .grad of a non-leaf too
  // Clears .grad: set_to_none leaves it undefined, otherwise it is filled with zeros in place.
  void zero_grad(bool set_to_none = true) const;
  // `hook` sees the whole gradient flowing into this tensor, once per backward (or
  // autograd::grad), before it reaches .grad or the tensor's producer; returning a defined
  // tensor (same shape) replaces it, an undefined one leaves it. Hooks run in registration
  // order. The handle removes the hook via remove_hook.
  using GradHookFn = std::function<Tensor(const Tensor&)>;
  size_t register_hook(GradHookFn hook) const;
  void remove_hook(size_t handle) const;
  Tensor detach() const;   // same data, no history, requires_grad false
  // Accumulates d(this)/d(leaf) into every leaf's grad. `gradient` is required unless this
  // has one element; retain_graph keeps saved tensors for another backward; create_graph
  // records the backward pass itself (second derivatives).
  void backward(const Tensor& gradient = {}, bool retain_graph = false,
                bool create_graph = false) const;

  std::string str() const;  // PyTorch-like printing: data (summarised when large), shape, dtype

 private:
  void check_dtype(DType expected, const char* op) const;
  std::shared_ptr<TensorImpl> impl_;
};

struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Creates a tensor header over `storage` (no copy). Used by factories and views.
Tensor make_tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
                   int64_t offset, DType dtype);

}  // namespace ember
