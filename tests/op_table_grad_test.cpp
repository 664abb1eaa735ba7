// Autograd over the op-case table: every row whose op is differentiable is gradchecked in f64
// on its own random inputs (contiguous and strided), floating inputs requiring grad, every
// floating output checked through one random projection of them all. Rows opt out only
// through OpCase::grad, with a reason; piecewise-constant ops must give exactly zero. Second
// derivatives (gradgradcheck) run on the small rows, and every differentiable op must have
// one such row. docs/internals/autograd.md, "The op table's gradcheck".
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "autograd/gradcheck.h"
#include "tests/cases/op_case.h"
#include "tests/op_table_util.h"

namespace ember::testing {
namespace {

// Rows up to this many floating input elements also get gradgradcheck (about four times the
// cost of gradcheck per element).
constexpr int64_t kGradgradMaxElements = 100;

bool has_floating_dtype(const OpCase& c) {
  for (DType d : c.dtypes) {
    if (is_floating(d)) return true;
  }
  return false;
}

// Why the row has nothing to differentiate (empty: it has). Decided from the row's
// declaration alone; rows whose outputs turn out to be all non-floating are skipped later.
std::string not_differentiable(const OpCase& c) {
  if (!has_floating_dtype(c)) return "integer/bool row: no floating dtype to differentiate";
  for (const Input& in : c.inputs) {
    if (is_floating(in.dtype.value_or(DType::f64))) return "";
  }
  return "no floating input";
}

// The row's gradcheck inputs: f64 (inputs of a fixed dtype keep it), from grad_inputs when set.
Tensors grad_inputs(const OpCase& c, size_t row) {
  Generator gen(row_seed(row, DType::f64));
  Tensors in;
  for (const Input& i : c.grad_inputs.empty() ? c.inputs : c.grad_inputs) {
    in.push_back(make_input(i, DType::f64, gen));
  }
  return in;
}

// Elements of the floating tensors among `in`: what gradcheck perturbs one by one.
int64_t floating_numel(const Tensors& in) {
  int64_t n = 0;
  for (const Tensor& t : in) n += is_floating(t.dtype()) ? t.numel() : 0;
  return n;
}

// Leaves for one layout: floating inputs require grad (after the strided copy is written).
Tensors leaves(const Tensors& in, bool strided) {
  Tensors out;
  for (const Tensor& t : in) {
    Tensor x = strided ? strided_copy(t) : t.clone();
    if (is_floating(x.dtype())) x.requires_grad_(true);
    out.push_back(x);
  }
  return out;
}

// Every floating output, flattened and concatenated: gradcheck's random projection of this
// is a random projection of all of them. Undefined when no output is floating.
Tensor floating_outputs(const Tensors& ys) {
  Tensors parts;
  for (const Tensor& y : ys) {
    if (is_floating(y.dtype())) parts.push_back(y.reshape({-1}));
  }
  if (parts.empty()) return {};
  return parts.size() == 1 ? parts[0] : cat(parts, 0);
}

autograd::GradcheckFn row_fn(const OpCase& c) {
  return [&c](const Tensors& xs) { return floating_outputs(c.run(xs)); };
}

// Runs the row once without grad: false when no output is floating (indices, masks,
// comparisons: nothing to check). Throws what the row throws.
bool has_floating_output(const OpCase& c, const Tensors& inputs) {
  autograd::NoGradGuard no_grad;
  return floating_outputs(c.run(inputs)).defined();
}

// The checks for one row: skips (with the reason) what has nothing to differentiate or opted
// out, then runs `check` on each layout's leaves. `check` returns a failure message or "".
template <typename Check>
void for_each_layout(size_t row, int64_t max_elements, bool strided_too, Check check) {
  const OpCase& c = op_cases()[row];
  if (std::string why = not_differentiable(c); !why.empty()) GTEST_SKIP() << why;
  if (c.grad.kind != GradSpec::numeric) {
    ASSERT_FALSE(c.grad.reason.empty()) << c.op << " [" << c.label << "]: an opt-out of "
                                        << "gradcheck needs a reason (OpCase::grad)";
  }
  if (c.grad.kind == GradSpec::none) GTEST_SKIP() << "opted out: " << c.grad.reason;
  if (!c.grad_inputs.empty()) {
    ASSERT_EQ(c.grad_inputs.size(), c.inputs.size()) << "grad_inputs: one per input";
  }
  const Tensors inputs = grad_inputs(c, row);
  try {
    if (!has_floating_output(c, inputs)) GTEST_SKIP() << "no floating output";
  } catch (const std::exception& e) {
    FAIL() << row_where(c, DType::f64, false) << ": threw " << e.what();
  }
  const int64_t n = floating_numel(inputs);
  ASSERT_LE(n, kGradcheckMaxElements)
      << c.op << " [" << c.label << "]: " << n << " floating input elements cost " << 2 * n
      << " evaluations each time; give the row grad_inputs (tests/cases/op_case.h) or opt out";
  if (n > max_elements) {
    GTEST_SKIP() << n << " floating input elements: over the " << max_elements
                 << " this check runs on";
  }
  for (bool strided : {false, true}) {
    if (strided && (!c.strided_inputs || !strided_too)) continue;
    const std::string where = row_where(c, DType::f64, strided);
    try {
      std::string failure = check(c, leaves(inputs, strided));
      if (!failure.empty()) ADD_FAILURE() << where << ": " << failure;
    } catch (const std::exception& e) {
      ADD_FAILURE() << where << ": " << e.what();
    }
  }
}

// GradSpec::zero: the analytic gradient of a random projection is defined and exactly zero.
std::string expect_zero_gradient(const OpCase& c, const Tensors& xs) {
  Tensor y = floating_outputs(c.run(xs));
  Tensors wrt;
  for (const Tensor& x : xs) {
    if (x.requires_grad()) wrt.push_back(x);
  }
  if (!y.requires_grad()) {
    return y.numel() == 0 ? "" : "the output does not require grad: the op recorded nothing";
  }
  Generator gen(7);
  Tensors g = autograd::grad({y}, wrt, {uniform(y.shape(), 0.5, 1.5, y.dtype(), &gen)});
  for (size_t i = 0; i < g.size(); ++i) {
    if (!g[i].defined()) {
      if (wrt[i].numel() == 0) continue;
      return str("gradient of input ", i, " is undefined; expected zeros (", c.grad.reason, ")");
    }
    std::vector<double> v = g[i].to_vector<double>();
    for (size_t e = 0; e < v.size(); ++e) {
      if (v[e] != 0.0) {
        return str("gradient of input ", i, " element ", e, " is ", v[e], "; expected 0 (",
                   c.grad.reason, ")");
      }
    }
  }
  return "";
}

class OpTableGrad : public ::testing::TestWithParam<size_t> {};

TEST_P(OpTableGrad, Gradcheck) {
  for_each_layout(GetParam(), kGradcheckMaxElements, true,
                  [](const OpCase& c, const Tensors& xs) -> std::string {
                    if (c.grad.kind == GradSpec::zero) return expect_zero_gradient(c, xs);
                    autograd::gradcheck(row_fn(c), xs);  // throws on a mismatch
                    return "";
                  });
}

// Second derivatives on the rows small enough (contiguous inputs: the layouts are the
// first derivative's business).
TEST_P(OpTableGrad, GradGradcheck) {
  for_each_layout(GetParam(), kGradgradMaxElements, false,
                  [](const OpCase& c, const Tensors& xs) -> std::string {
                    if (c.grad.kind == GradSpec::zero) return "";
                    autograd::gradgradcheck(row_fn(c), xs);
                    return "";
                  });
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpTableGrad);
INSTANTIATE_TEST_SUITE_P(Cases, OpTableGrad, ::testing::Range<size_t>(0, op_cases().size()),
                         case_name);

// Opt-outs carry a reason, grad_inputs match the inputs, and every op with a gradchecked row
// also has a row small enough for gradgradcheck.
TEST(OpTableGradCoverage, OptOutsHaveReasonsAndEveryOpGetsSecondDerivatives) {
  std::map<std::string, bool> second;  // op -> has a gradgradchecked row
  for (size_t r = 0; r < op_cases().size(); ++r) {
    const OpCase& c = op_cases()[r];
    const std::string name = c.op + " [" + c.label + "]";
    if (c.grad.kind != GradSpec::numeric) {
      EXPECT_FALSE(c.grad.reason.empty()) << name << ": opted out of gradcheck without a reason";
    }
    if (!c.grad_inputs.empty()) {
      EXPECT_EQ(c.grad_inputs.size(), c.inputs.size()) << name;
    }
    if (!not_differentiable(c).empty() || c.grad.kind != GradSpec::numeric) continue;
    const Tensors inputs = grad_inputs(c, r);
    bool floating_out = false;
    try {
      floating_out = has_floating_output(c, inputs);
    } catch (const std::exception&) {
      continue;  // Gradcheck reports it
    }
    if (!floating_out) continue;
    const int64_t n = floating_numel(inputs);
    second[c.op] = second[c.op] || (n > 0 && n <= kGradgradMaxElements);
  }
  std::string missing;
  for (const auto& [op, ok] : second) {
    if (!ok) missing += " " + op;
  }
  EXPECT_TRUE(missing.empty()) << "ops with gradchecked rows but none of at most "
                               << kGradgradMaxElements
                               << " floating input elements for gradgradcheck:" << missing;
}

}  // namespace
}  // namespace ember::testing
