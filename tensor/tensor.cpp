// Tensor basics: metadata, element access, views and copies.
#include "tensor/tensor.h"

#include <algorithm>
#include <cmath>

#include "kernels/registry.h"
#include "tensor/factory.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"

namespace ember {

Tensor make_tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
                   int64_t offset, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

TensorImpl& Tensor::impl() const {
  EMBER_CHECK(impl_ != nullptr, ValueError, "tensor: use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t dim) const { return shape()[wrap_dim(dim, this->dim(), "size")]; }
int64_t Tensor::stride(int64_t dim) const {
  return strides()[wrap_dim(dim, this->dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (shape()[d] == 1) continue;
    if (strides()[d] != expected) return numel() == 0;
    expected *= shape()[d];
  }
  return true;
}

void* Tensor::data_ptr() const {
  char* base = static_cast<char*>(impl().storage->data());
  if (base == nullptr) return nullptr;
  return base + impl().offset * static_cast<int64_t>(element_size());
}

void Tensor::check_dtype(DType expected, const char* op) const {
  if (dtype() != expected) {
    throw DTypeError(ember::str(op, ": tensor has dtype ", dtype_name(dtype()), "; expected ",
                         dtype_name(expected)));
  }
}

namespace {
// Reads element `linear` (row-major position) of t as T.
template <typename T>
T read_element(const Tensor& t, int64_t linear) {
  EMBER_CHECK(t.device().is_cpu(), DeviceError, "element access: tensor is on ",
              t.device().str(), "; copy it to the cpu first with .to(Device::cpu())");
  int64_t off = 0;
  for (int d = t.dim() - 1; d >= 0; --d) {
    int64_t i = linear % t.size(d);
    linear /= t.size(d);
    off += i * t.stride(d);
  }
  const char* p = static_cast<const char*>(t.data_ptr()) + off * static_cast<int64_t>(t.element_size());
  return dispatch_dtype<kAll>(
      t.dtype(),
      [&]<typename S>() -> T {
        if constexpr (std::is_same_v<T, bool>) {
          return static_cast<double>(*reinterpret_cast<const S*>(p)) != 0.0;
        } else {
          return static_cast<T>(static_cast<acc_t<S>>(*reinterpret_cast<const S*>(p)));
        }
      },
      [](DType) -> T { return T{}; });
}
}  // namespace

template <typename T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, ValueError, "item: tensor of shape ", shape(),
              " has ", numel(), " elements; expected exactly one");
  // A device tensor's one element is copied to the host (a synchronising transfer).
  return read_element<T>(device().is_cpu() ? *this : to(Device::cpu()), 0);
}

template <typename T>
T Tensor::at(const Shape& index) const {
  EMBER_CHECK(index.size() == dim(), IndexError, "at: index ", index, " has ", index.size(),
              " dims; tensor of shape ", shape(), " has ", dim());
  int64_t linear = 0;
  for (int d = 0; d < dim(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + shape()[d] : index[d];
    EMBER_CHECK(i >= 0 && i < shape()[d], IndexError, "at: index ", index,
                " is out of range for shape ", shape());
    linear = linear * shape()[d] + i;
  }
  return read_element<T>(*this, linear);
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = contiguous().to(dtype_v<T>).to(Device::cpu());
  const T* p = static_cast<const T*>(c.data_ptr());
  return std::vector<T>(p, p + numel());
}

#define EMBER_INSTANTIATE_ACCESS(e, T, n)                \
  template T Tensor::item<T>() const;                    \
  template T Tensor::at<T>(const Shape&) const;          \
  template std::vector<T> Tensor::to_vector<T>() const;
EMBER_FORALL_DTYPES(EMBER_INSTANTIATE_ACCESS)
#undef EMBER_INSTANTIATE_ACCESS

// --- views --------------------------------------------------------------------------------

namespace {
// Records `out`, a view of `in`, so gradients flow back through it (one branch when no grad).
Tensor viewed(const Tensor& in, Tensor out, ViewOp kind, Shape dims = {}, int64_t dim = 0,
              double a = 0, double b = 0) {
  if (grad_recording({&in})) {
    record_op(OpCall{.op = OpId::copy, .view = kind, .inputs = {in}, .outputs = {out},
                     .dims = std::move(dims), .dim = dim, .a = a, .b = b});
  }
  return out;
}
}  // namespace

Tensor Tensor::as_strided(const Shape& shape, const Strides& strides,
                          std::optional<int64_t> offset) const {
  EMBER_CHECK(shape.size() == strides.size(), ShapeError, "as_strided: shape ", shape,
              " and strides ", strides, " differ in length");
  int64_t off = offset.value_or(this->offset());
  // Check the extent of the view lies inside the storage.
  int64_t lo = off, hi = off;
  bool empty_view = false;
  for (int d = 0; d < shape.size(); ++d) {
    EMBER_CHECK(shape[d] >= 0, ShapeError, "as_strided: negative size in shape ", shape);
    if (shape[d] == 0) empty_view = true;
    int64_t span = (shape[d] - 1) * strides[d];
    (span >= 0 ? hi : lo) += span;
  }
  int64_t capacity = static_cast<int64_t>(storage()->nbytes() / element_size());
  EMBER_CHECK(empty_view || (lo >= 0 && hi < capacity), ShapeError, "as_strided: view of shape ",
              shape, " strides ", strides, " offset ", off, " reaches elements [", lo, ", ", hi,
              "] outside the storage of ", capacity, " elements");
  return viewed(*this, make_tensor(storage(), shape, strides, off, dtype()), ViewOp::as_strided);
}

namespace {
// Resolves one -1 in `shape` so it has `numel` elements.
Shape infer_shape(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, ShapeError, op, ": only one dim can be -1, got ", shape);
      infer = i;
    } else {
      EMBER_CHECK(out[i] >= 0, ShapeError, op, ": invalid size ", out[i], " in shape ", shape);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && numel % known == 0, ShapeError, op, ": shape ", shape,
                " is invalid for input of shape ", from, " (", numel, " elements)");
    out[infer] = numel / known;
  }
  EMBER_CHECK(out.numel() == numel, ShapeError, op, ": shape ", shape,
              " is invalid for input of shape ", from, " (", numel, " elements)");
  return out;
}

// Strides that let `shape` view memory laid out as (old_shape, old_strides), or nullopt.
// The old dims split into chunks that are each contiguous in memory; a view may regroup the
// elements of a chunk freely but never merge two chunks.
std::optional<Strides> view_strides(const Shape& old_shape, const Strides& old_strides,
                                    const Shape& shape) {
  if (old_shape.numel() == 0) return contiguous_strides(shape);
  Strides out = Shape::filled(shape.size(), 0);
  if (old_shape.empty()) {  // 0-d: every new dim has size 1
    for (int d = 0; d < shape.size(); ++d) out[d] = 1;
    return out;
  }
  int view_d = shape.size() - 1;
  int64_t base_stride = old_strides.back();  // stride of the chunk's innermost element
  int64_t chunk_numel = 1, view_numel = 1;
  for (int d = old_shape.size() - 1; d >= 0; --d) {
    chunk_numel *= old_shape[d];
    bool chunk_ends = d == 0 || (old_shape[d - 1] != 1 &&
                                 old_strides[d - 1] != chunk_numel * base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < chunk_numel || shape[view_d] == 1)) {
      out[view_d] = view_numel * base_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != chunk_numel) return std::nullopt;
    if (d > 0) {
      base_stride = old_strides[d - 1];
      chunk_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}
}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape s = infer_shape(shape, numel(), "view", this->shape());
  auto st = view_strides(this->shape(), strides(), s);
  EMBER_CHECK(st.has_value(), ShapeError, "view: shape ", s,
              " cannot view a tensor of shape ", this->shape(), " with strides ", strides(),
              "; call .contiguous() first or use reshape()");
  return viewed(*this, make_tensor(storage(), s, *st, offset(), dtype()), ViewOp::reshape);
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = infer_shape(shape, numel(), "reshape", this->shape());
  auto st = view_strides(this->shape(), strides(), s);
  if (st) return viewed(*this, make_tensor(storage(), s, *st, offset(), dtype()), ViewOp::reshape);
  return contiguous().view(s);
}

Tensor Tensor::permute(const Shape& dims) const {
  EMBER_CHECK(dims.size() == dim(), ShapeError, "permute: got ", dims.size(), " dims ", dims,
              " for a tensor with ", dim(), " dims");
  Shape s, st, order;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < dims.size(); ++i) {
    int d = wrap_dim(dims[i], dim(), "permute");
    EMBER_CHECK(!seen[d], ShapeError, "permute: dim ", d, " repeats in ", dims);
    seen[d] = true;
    order.push_back(d);
    s.push_back(shape()[d]);
    st.push_back(strides()[d]);
  }
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::permute, order);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int a = wrap_dim(dim0, dim(), "transpose"), b = wrap_dim(dim1, dim(), "transpose");
  if (dim() == 0) return *this;
  Shape s = shape(), st = strides(), order;
  for (int d = 0; d < dim(); ++d) order.push_back(d);
  std::swap(s[a], s[b]);
  std::swap(st[a], st[b]);
  std::swap(order[a], order[b]);
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::permute, order);
}

Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, ShapeError, "t: expects a tensor with at most 2 dims, got shape ",
              shape(), "; use transpose(dim0, dim1)");
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step) const {
  int d = wrap_dim(dim, this->dim(), "slice");
  EMBER_CHECK(this->dim() > 0, IndexError, "slice: cannot slice a 0-d tensor");
  EMBER_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  int64_t n = shape()[d];
  auto clampi = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  int64_t b = start ? clampi(*start) : 0;
  int64_t e = end ? clampi(*end) : n;
  int64_t len = e > b ? (e - b + step - 1) / step : 0;
  Shape s = shape(), st = strides();
  s[d] = len;
  st[d] *= step;
  return viewed(*this, make_tensor(storage(), s, st, offset() + b * strides()[d], dtype()),
                ViewOp::slice, {}, d, static_cast<double>(b), static_cast<double>(step));
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  int d = wrap_dim(dim, this->dim(), "narrow");
  int64_t n = shape()[d];
  int64_t b = start < 0 ? start + n : start;
  EMBER_CHECK(b >= 0 && length >= 0 && b + length <= n, IndexError, "narrow: start ", start,
              " length ", length, " is out of range for dim ", d, " of size ", n);
  return slice(d, b, b + length);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  EMBER_CHECK(this->dim() > 0, IndexError, "select: cannot select from a 0-d tensor");
  int d = wrap_dim(dim, this->dim(), "select");
  int64_t n = shape()[d];
  int64_t i = index < 0 ? index + n : index;
  EMBER_CHECK(i >= 0 && i < n, IndexError, "select: index ", index,
              " is out of range for dim ", d, " of size ", n);
  Shape s = shape(), st = strides();
  s.erase(d);
  st.erase(d);
  return viewed(*this, make_tensor(storage(), s, st, offset() + i * strides()[d], dtype()),
                ViewOp::select, {}, d, static_cast<double>(i));
}

Tensor Tensor::expand(const Shape& shape) const {
  EMBER_CHECK(shape.size() >= dim(), ShapeError, "expand: target shape ", shape,
              " has fewer dims than the tensor's shape ", this->shape());
  Shape s = shape, st = Shape::filled(shape.size(), 0);
  int off = shape.size() - dim();
  for (int i = 0; i < shape.size(); ++i) {
    int j = i - off;
    int64_t cur = j >= 0 ? this->shape()[j] : 1;
    if (s[i] == -1) {
      EMBER_CHECK(j >= 0, ShapeError, "expand: -1 is not allowed for new leading dim ", i,
                  " in ", shape);
      s[i] = cur;
    }
    if (j >= 0 && cur == s[i]) {
      st[i] = strides()[j];
    } else {
      EMBER_CHECK(cur == 1, ShapeError, "expand: cannot expand shape ", this->shape(), " to ",
                  shape, " (dim ", i, ": ", cur, " -> ", s[i], ")");
      st[i] = 0;
    }
  }
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::expand);
}

Tensor Tensor::squeeze() const {
  Shape s, st;
  for (int d = 0; d < dim(); ++d) {
    if (shape()[d] == 1) continue;
    s.push_back(shape()[d]);
    st.push_back(strides()[d]);
  }
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::reshape);
}

Tensor Tensor::squeeze(int64_t dim) const {
  if (this->dim() == 0) return *this;
  int d = wrap_dim(dim, this->dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape s = shape(), st = strides();
  s.erase(d);
  st.erase(d);
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::reshape);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  int d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape s = shape(), st = strides();
  int64_t stride = d < this->dim() ? strides()[d] * shape()[d] : 1;
  s.insert(d, 1);
  st.insert(d, stride);
  return viewed(*this, make_tensor(storage(), s, st, offset(), dtype()), ViewOp::reshape);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  int a = wrap_dim(start_dim, dim(), "flatten"), b = wrap_dim(end_dim, dim(), "flatten");
  EMBER_CHECK(a <= b, ValueError, "flatten: start_dim ", start_dim, " comes after end_dim ",
              end_dim);
  Shape s;
  for (int d = 0; d < a; ++d) s.push_back(shape()[d]);
  int64_t n = 1;
  for (int d = a; d <= b; ++d) n *= shape()[d];
  s.push_back(n);
  for (int d = b + 1; d < dim(); ++d) s.push_back(shape()[d]);
  return reshape(s);
}

Tensor Tensor::unflatten(int64_t dim, const Shape& sizes) const {
  int d = wrap_dim(dim, this->dim(), "unflatten");
  Shape inner = infer_shape(sizes, shape()[d], "unflatten", shape());
  Shape s;
  for (int i = 0; i < d; ++i) s.push_back(shape()[i]);
  for (int64_t v : inner) s.push_back(v);
  for (int i = d + 1; i < this->dim(); ++i) s.push_back(shape()[i]);
  return view(s);
}

// --- copies -------------------------------------------------------------------------------

namespace {
// Autograd records no in-place op: writing into a tensor that requires grad, or from one into
// anything, while grad mode is on would silently lose gradients, so it is an error.
void check_inplace(const char* op, const Tensor& dst, const Tensor* src) {
  if (!grad_enabled()) return;
  EMBER_CHECK(!dst.requires_grad(), ValueError, op, ": cannot write in place into a tensor of "
              "shape ", dst.shape(), " that requires grad; autograd does not record in-place "
              "ops: wrap the write in autograd::NoGradGuard (e.g. a parameter update) or compute "
              "the result out of place");
  EMBER_CHECK(src == nullptr || !src->requires_grad(), ValueError, op, ": the source of shape ",
              src->shape(), " requires grad but an in-place copy is not recorded by autograd; "
              "build the result out of place (clone, cat, where) or detach() the source");
}

void copy_into(Tensor& dst, const Tensor& src) {
  check_same_device("copy_", {&dst, &src});
  broadcast_shapes(src.shape(), dst.shape(), "copy_");
  EMBER_CHECK(src.dim() <= dst.dim(), ShapeError, "copy_: source of shape ", src.shape(),
              " cannot be broadcast into destination of shape ", dst.shape());
  Tensor expanded = src.shape() == dst.shape() ? src : src.expand(dst.shape());
  StridedLoop loop = make_loop(dst, {&expanded});
  kernel<ElementwiseKernel>(OpId::copy, dst.device().type)(loop, ScalarArgs{});
  dst.storage()->bump_version();
}

// clone() and to(dtype): a fresh copy, recorded as the op `copy`.
Tensor copied(const Tensor& src, DType dtype) {
  Tensor out = empty(src.shape(), dtype, src.device());
  copy_into(out, src);
  if (grad_recording({&src})) record_op(OpCall{.op = OpId::copy, .inputs = {src}, .outputs = {out}});
  return out;
}
}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace("copy_", *this, &src);
  copy_into(*this, src);
  return *this;
}

Tensor& Tensor::fill_(double value) {
  check_inplace("fill_", *this, nullptr);
  StridedLoop loop = make_loop(*this, {});
  ScalarArgs args;
  args.a = value;
  kernel<ElementwiseKernel>(OpId::fill, device().type)(loop, args);
  storage()->bump_version();
  return *this;
}

Tensor Tensor::detach() const {
  return make_tensor(storage(), shape(), strides(), offset(), dtype());
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const { return copied(*this, dtype()); }

Tensor Tensor::to(DType dtype) const {
  if (dtype == this->dtype()) return *this;
  return copied(*this, dtype);
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  EMBER_CHECK(!grad_recording({this}), ValueError, "to: moving a tensor of shape ", shape(),
              " that requires grad from ", this->device().str(), " to ", device.str(),
              " is not recorded by autograd; detach() it or move it under NoGradGuard");
  // Made contiguous on its own device first, so the transfer is one memcpy of the bytes.
  Tensor src = contiguous();
  Tensor out = empty(shape(), dtype(), device);
  const size_t bytes = static_cast<size_t>(numel()) * element_size();
  detail::copy_bytes(out.data_ptr(), device, src.data_ptr(), this->device(), bytes);
  return out;
}

}  // namespace ember
