// The op-case table (DESIGN.md §2, step 7): one row per op and situation. Each row says how
// to build the inputs, how ember computes the op, and how a plain float64 reference computes
// it. tests/op_table_test.cpp runs every row over its dtypes and input layouts. The table is
// its own library so `ember ops` can report which ops it covers.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tensor/ops.h"

namespace ember::testing {

// How an input is filled (always fresh random values, never zeros).
enum class Fill {
  normal,    // N(0, 1)
  positive,  // uniform [0.1, 3)
  unit,      // uniform (-0.95, 0.95)
  nonzero,   // N(0,1) pushed away from zero: |x| >= 0.25
  integer,   // whole numbers in [-5, 5], in the row's dtype
  index,     // i64 in [0, bound)
  boolean,   // bool, about half true
};

struct Input {
  Shape shape;
  Fill fill = Fill::normal;
  int64_t bound = 0;  // Fill::index: exclusive upper bound
  // The dtype this input always has, whatever the row's dtype (e.g. an i64 index, a bool
  // mask). Unset: the row's dtype.
  std::optional<DType> dtype = {};
};

using Tensors = std::vector<Tensor>;

struct OpCase {
  std::string op;     // a name in kernels/ops.def
  std::string label;  // what the row exercises
  std::vector<Input> inputs;
  // ember's result(s), given the inputs in the row's dtype.
  std::function<Tensors(const Tensors&)> run;
  // The expected result(s), given the same input values as contiguous float64 (integer and
  // bool inputs keep their dtype). Computed with plain loops over the data (see ref.h), never
  // with the ember kernels under test. Return f64, i64 or bool tensors.
  std::function<Tensors(const Tensors&)> reference;
  std::vector<DType> dtypes = {DType::f32, DType::f64, DType::f16, DType::bf16};
  double tol_scale = 1.0;  // widens the dtype tolerance (long reductions); say why in label
  bool strided_inputs = true;  // also run with non-contiguous copies of the inputs
};

std::vector<OpCase>& op_cases();

struct OpCaseRegistrar {
  explicit OpCaseRegistrar(std::vector<OpCase> (*make)()) {
    for (OpCase& c : make()) op_cases().push_back(std::move(c));
  }
};

// The ops that have at least one row.
std::vector<std::string> tested_ops();

}  // namespace ember::testing

// EMBER_OP_CASES(unary_cases) { return {OpCase{...}, ...}; }
#define EMBER_OP_CASES(fn)                                                         \
  static std::vector<::ember::testing::OpCase> fn();                               \
  static const ::ember::testing::OpCaseRegistrar fn##_registrar(&fn);              \
  static std::vector<::ember::testing::OpCase> fn()
