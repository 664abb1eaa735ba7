// Shape operations, dim wrapping and broadcasting rules.
#include "tensor/shape.h"

#include <sstream>

namespace ember {

Shape Shape::filled(int n, int64_t value) {
  Shape s;
  s.resize(n, value);
  return s;
}

void Shape::push_back(int64_t v) {
  EMBER_CHECK(n_ < kMaxDims, ShapeError, "shape: tensors have at most ", kMaxDims,
              " dims; tried to add dim ", n_ + 1);
  d_[n_++] = v;
}

void Shape::insert(int pos, int64_t v) {
  push_back(0);
  for (int i = n_ - 1; i > pos; --i) d_[i] = d_[i - 1];
  d_[pos] = v;
}

void Shape::erase(int pos) {
  for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
  --n_;
}

void Shape::resize(int n, int64_t fill) {
  EMBER_CHECK(n >= 0 && n <= kMaxDims, ShapeError, "shape: tensors have at most ", kMaxDims,
              " dims; asked for ", n);
  for (int i = n_; i < n; ++i) d_[i] = fill;
  n_ = n;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < n_; ++i) n *= d_[i];
  return n;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < n_; ++i) os << (i ? ", " : "") << d_[i];
  os << ']';
  return os.str();
}

bool Shape::operator==(const Shape& o) const {
  if (n_ != o.n_) return false;
  for (int i = 0; i < n_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

Strides contiguous_strides(const Shape& shape) {
  Strides s = Shape::filled(shape.size(), 1);
  for (int i = shape.size() - 2; i >= 0; --i) s[i] = s[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  return s;
}

int wrap_dim(int64_t dim, int ndim, const char* op) {
  int64_t n = std::max(ndim, 1);  // a 0-d tensor accepts dim 0 and -1, like PyTorch
  if (dim < -n || dim >= n) {
    throw IndexError(str(op, ": dim ", dim, " is out of range for a tensor with ", ndim,
                         " dims; expected a dim in [", -n, ", ", n - 1, "]"));
  }
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = std::max(a.size(), b.size());
  Shape out = Shape::filled(n, 1);
  for (int i = 0; i < n; ++i) {
    int ia = a.size() - n + i, ib = b.size() - n + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(str(op, ": shapes ", a, " and ", b, " cannot be broadcast (dim ", i,
                           ": ", da, " vs ", db, ")"));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace ember
