// What the op-table tests share (tests/op_table_test.cpp, op_table_grad_test.cpp,
// cuda_op_table_test.cpp): a row's random inputs, their non-contiguous copy, the DESIGN.md §8
// tolerances and the element-wise comparison, and the rows as gtest parameters.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/cases/op_case.h"

namespace ember::testing {

struct Tolerance {
  double rtol, atol;
};

inline Tolerance tolerance(DType d) {
  switch (d) {
    case DType::f32:
      return {1.3e-6, 1e-5};
    case DType::f64:
      return {1e-7, 1e-7};
    case DType::f16:
      return {1e-3, 1e-3};
    case DType::bf16:
      return {1.6e-2, 1e-2};
    default:
      return {0, 0};
  }
}

// The generator seed of row `row` in dtype `dt`: every test draws the same inputs for a row.
inline uint64_t row_seed(size_t row, DType dt) {
  return 0x5eed0000 + row * 7919 + static_cast<int>(dt);
}

// Random input values for a row, already rounded to `dtype` so the reference sees exactly
// what ember sees. `shape` overrides the input's own (OpCase::grad_shapes).
inline Tensor make_input(const Input& in, DType row_dtype, Generator& gen,
                         const Shape* shape = nullptr) {
  const Shape& s = shape != nullptr ? *shape : in.shape;
  DType dt = in.dtype.value_or(row_dtype);
  switch (in.fill) {
    case Fill::normal:
      return randn(s, DType::f64, &gen).to(dt);
    case Fill::positive:
      return uniform(s, 0.1, 3.0, DType::f64, &gen).to(dt);
    case Fill::unit:
      return uniform(s, -0.95, 0.95, DType::f64, &gen).to(dt);
    case Fill::nonzero: {
      std::vector<double> v = randn(s, DType::f64, &gen).to_vector<double>();
      for (double& x : v) x += x >= 0 ? 0.25 : -0.25;
      return from_vector(v, s).to(dt);
    }
    case Fill::integer:
      return randint(-5, 6, s, DType::i64, &gen).to(dt);
    case Fill::index:
      return randint(0, std::max<int64_t>(in.bound, 1), s, DType::i64, &gen);
    case Fill::boolean: {
      std::vector<double> u = rand(s, DType::f64, &gen).to_vector<double>();
      std::vector<bool> v(u.size());
      for (size_t i = 0; i < u.size(); ++i) v[i] = u[i] < 0.5;
      return from_vector(v, s);
    }
  }
  return {};
}

// The same values in a non-contiguous tensor on t's device: every other element of a buffer
// twice as wide in the last dim.
inline Tensor strided_copy(const Tensor& t) {
  if (t.dim() == 0 || t.numel() == 0) return t;
  Shape wide = t.shape();
  wide[wide.size() - 1] *= 2;
  Tensor buf = full(wide, 7.0, t.dtype(), t.device());
  Tensor view = buf.slice(-1, 0, {}, 2);
  view.copy_(t);
  return view;
}

inline DType reference_dtype(DType d) { return is_floating(d) ? DType::f64 : d; }

// |got - want| <= scale * (atol + rtol |want|) element-wise under the tolerance of got's dtype
// (row_dtype's when got is not floating: exact); NaN matches NaN. Reports up to five elements.
inline void expect_close(const Tensor& got, const Tensor& want, DType row_dtype, double scale,
                         const std::string& where) {
  ASSERT_EQ(got.shape(), want.shape()) << where << ": shape";
  std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  DType judged = is_floating(got.dtype()) ? got.dtype() : row_dtype;
  Tolerance tol = is_floating(got.dtype()) ? tolerance(judged) : Tolerance{0, 0};
  int reported = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    bool ok = (std::isnan(g[i]) && std::isnan(w[i])) || g[i] == w[i] ||
              std::fabs(g[i] - w[i]) <= scale * (tol.atol + tol.rtol * std::fabs(w[i]));
    if (!ok && reported++ < 5) {
      ADD_FAILURE() << where << ": element " << i << " of " << got.shape() << " is " << g[i]
                    << ", expected " << w[i] << " (dtype " << dtype_name(got.dtype()) << ")";
    }
  }
}

// "op [label] dtype f32 strided": how failures name a run of a row.
inline std::string row_where(const OpCase& c, DType dt, bool strided) {
  return c.op + " [" + c.label + "] dtype " + dtype_name(dt) +
         (strided ? " strided" : " contiguous");
}

// gtest parameter names: op_rowindex.
inline std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  return op_cases()[info.param].op + "_" + std::to_string(info.param);
}

}  // namespace ember::testing
