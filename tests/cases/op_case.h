// The op-case table (DESIGN.md §2, step 7): one row per op and situation. Each row says how
// to build the inputs, how ember computes the op, and how a plain float64 reference computes
// it. tests/op_table_test.cpp runs every row over its dtypes and input layouts against the
// reference, tests/op_table_grad_test.cpp gradchecks it, tests/cuda_op_table_test.cpp runs it
// on cuda against the cpu. The table is its own library so `ember ops` can report which ops
// it covers.
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

// How tests/op_table_grad_test.cpp treats a row (docs/internals/autograd.md, "The op table's
// gradcheck"): by default autograd::gradcheck in f64 with every floating input requiring grad.
struct GradSpec {
  enum Kind : uint8_t {
    numeric,  // analytic gradients against central finite differences
    zero,     // piecewise-constant op: the analytic gradient must be exactly zero
    none,     // not checked, for the reason given
  };
  Kind kind = numeric;
  std::string reason;  // why the row is `zero` or `none`; never empty for those
};
inline GradSpec grad_zero(std::string reason) { return {GradSpec::zero, std::move(reason)}; }
inline GradSpec grad_none(std::string reason) { return {GradSpec::none, std::move(reason)}; }

// Gradcheck costs two evaluations of the row per input element: a row with more floating input
// elements than this must give `grad_inputs` (or opt out).
inline constexpr int64_t kGradcheckMaxElements = 320;

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
  GradSpec grad = {};
  // The inputs gradcheck uses instead of `inputs` (same count and order), for rows too big to
  // differentiate numerically; `run` must accept them. Empty: `inputs`.
  std::vector<Input> grad_inputs = {};
  // Rows without inputs (factories, random draws): the row computed on `device`, same values
  // as `run`. tests/cuda_op_table_test.cpp runs the other rows on inputs moved to the device.
  std::function<Tensors(Device)> run_on = {};
};

std::vector<OpCase>& op_cases();

struct OpCaseRegistrar {
  explicit OpCaseRegistrar(std::vector<OpCase> (*make)()) {
    for (OpCase& c : make()) op_cases().push_back(std::move(c));
  }
};

// The ops that have at least one row.
std::vector<std::string> tested_ops();

// Elements of the inputs a gradcheck differentiates (those of a floating or the row's dtype).
int64_t floating_elements(const std::vector<Input>& inputs);

// `inputs` with every dim cut to at most one common size, the largest that leaves at most
// `target` floating elements (never below 2): equal dims stay equal and size-1 dims stay 1, so
// broadcasting and matching shapes survive. Index bounds are kept.
std::vector<Input> shrunk(std::vector<Input> inputs, int64_t target = 64);

// Gives every row of `rows` that gradcheck would differentiate and that is too big
// (kGradcheckMaxElements) shrunk(inputs) as grad_inputs: for row builders whose `run` takes
// any shape.
void shrink_for_gradcheck(std::vector<OpCase>& rows);

}  // namespace ember::testing

// EMBER_OP_CASES(unary_cases) { return {OpCase{...}, ...}; }
#define EMBER_OP_CASES(fn)                                                         \
  static std::vector<::ember::testing::OpCase> fn();                               \
  static const ::ember::testing::OpCaseRegistrar fn##_registrar(&fn);              \
  static std::vector<::ember::testing::OpCase> fn()
