// PyTorch-like printing: nested brackets, a common number format per tensor, and "..." in
// place of the middle of each dim once the tensor has more than 1000 elements.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tensor/tensor.h"

namespace ember {

namespace {
constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;

struct Format {
  bool integral = true;  // every finite value is a whole number
  bool scientific = false;
  int width = 1;
};

std::string format_value(double v, const Format& f, bool is_bool, bool is_int) {
  std::ostringstream os;
  if (is_bool) {
    os << (v != 0.0 ? "true" : "false");
  } else if (is_int) {
    os << static_cast<int64_t>(v);
  } else if (std::isnan(v)) {
    os << "nan";
  } else if (std::isinf(v)) {
    os << (v > 0 ? "inf" : "-inf");
  } else if (f.scientific) {
    os << std::scientific << std::setprecision(4) << v;
  } else if (f.integral) {
    os << std::fixed << std::setprecision(0) << v << '.';
  } else {
    os << std::fixed << std::setprecision(4) << v;
  }
  return os.str();
}

class Printer {
 public:
  Printer(const Tensor& t, std::ostream& os) : t_(t), os_(os) {
    summarise_ = t.numel() > kSummariseAbove;
    is_bool_ = t.dtype() == DType::b8;
    is_int_ = is_integral(t.dtype());
    values_ = t.to_vector<double>();
    double max_abs = 0, min_abs = INFINITY;
    for (double v : values_) {
      if (!std::isfinite(v)) continue;
      if (v != std::trunc(v)) fmt_.integral = false;
      max_abs = std::max(max_abs, std::fabs(v));
      if (v != 0) min_abs = std::min(min_abs, std::fabs(v));
    }
    fmt_.scientific = !is_int_ && !is_bool_ &&
                      (max_abs >= 1e8 || (min_abs < 1e-4 && min_abs != INFINITY && !fmt_.integral));
    for (double v : values_)
      fmt_.width = std::max<int>(fmt_.width, static_cast<int>(format_value(v, fmt_, is_bool_, is_int_).size()));
  }

  void print(int dim, int64_t base, int indent) {
    if (t_.dim() == 0) {
      os_ << format_value(values_[0], fmt_, is_bool_, is_int_);
      return;
    }
    int64_t n = t_.size(dim);
    int64_t inner = 1;
    for (int d = dim + 1; d < t_.dim(); ++d) inner *= t_.size(d);
    os_ << '[';
    bool last_dim = dim == t_.dim() - 1;
    for (int64_t i = 0; i < n; ++i) {
      if (summarise_ && n > 2 * kEdgeItems && i == kEdgeItems) {
        os_ << "...,";
        if (last_dim) {
          os_ << ' ';
        } else {
          os_ << '\n' << std::setw(indent + 1) << "";
        }
        i = n - kEdgeItems - 1;
        continue;
      }
      if (last_dim) {
        os_ << std::setw(fmt_.width) << format_value(values_[base + i], fmt_, is_bool_, is_int_);
      } else {
        print(dim + 1, base + i * inner, indent + 1);
      }
      if (i + 1 < n) {
        os_ << ',';
        if (last_dim) {
          os_ << ' ';
        } else {
          for (int k = 0; k < t_.dim() - dim - 1; ++k) os_ << '\n';
          os_ << std::setw(indent + 1) << "";
        }
      }
    }
    os_ << ']';
  }

 private:
  const Tensor& t_;
  std::ostream& os_;
  std::vector<double> values_;
  Format fmt_;
  bool summarise_ = false, is_bool_ = false, is_int_ = false;
};
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  Printer(*this, os).print(0, 0, 7);
  os << ", shape=" << shape() << ", dtype=" << dtype_name(dtype());
  if (!device().is_cpu()) os << ", device=" << device().str();
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace ember
