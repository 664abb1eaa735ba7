// The table-driven op test: every row of the op-case table (tests/cases/) runs for each of its
// dtypes with contiguous and non-contiguous inputs, and is compared with its float64
// reference under the tolerances of DESIGN.md §8. Also checks every op in kernels/ops.def has
// at least one row.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "kernels/op_table.h"
#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

struct Tolerance {
  double rtol, atol;
};

Tolerance tolerance(DType d) {
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

// Random input values for a row, already rounded to `dtype` so the reference sees exactly
// what ember sees.
Tensor make_input(const Input& in, DType row_dtype, Generator& gen) {
  DType dt = in.dtype.value_or(row_dtype);
  switch (in.fill) {
    case Fill::normal:
      return randn(in.shape, DType::f64, &gen).to(dt);
    case Fill::positive:
      return uniform(in.shape, 0.1, 3.0, DType::f64, &gen).to(dt);
    case Fill::unit:
      return uniform(in.shape, -0.95, 0.95, DType::f64, &gen).to(dt);
    case Fill::nonzero: {
      std::vector<double> v = randn(in.shape, DType::f64, &gen).to_vector<double>();
      for (double& x : v) x += x >= 0 ? 0.25 : -0.25;
      return from_vector(v, in.shape).to(dt);
    }
    case Fill::integer:
      return randint(-5, 6, in.shape, DType::i64, &gen).to(dt);
    case Fill::index:
      return randint(0, std::max<int64_t>(in.bound, 1), in.shape, DType::i64, &gen);
    case Fill::boolean: {
      std::vector<double> u = rand(in.shape, DType::f64, &gen).to_vector<double>();
      std::vector<bool> v(u.size());
      for (size_t i = 0; i < u.size(); ++i) v[i] = u[i] < 0.5;
      return from_vector(v, in.shape);
    }
  }
  return {};
}

// The same values in a non-contiguous tensor: every other element of a buffer twice as wide
// in the last dim.
Tensor strided_copy(const Tensor& t) {
  if (t.dim() == 0 || t.numel() == 0) return t;
  Shape wide = t.shape();
  wide[wide.size() - 1] *= 2;
  Tensor buf = full(wide, 7.0, t.dtype());
  Tensor view = buf.slice(-1, 0, {}, 2);
  view.copy_(t);
  return view;
}

DType reference_dtype(DType d) { return is_floating(d) ? DType::f64 : d; }

void expect_close(const Tensor& got, const Tensor& want, DType row_dtype, double scale,
                  const std::string& where) {
  ASSERT_EQ(got.shape(), want.shape()) << where << ": shape";
  std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  // A floating output is judged by its own dtype's tolerance (the row's when integral input
  // produced a float result).
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

class OpTable : public ::testing::TestWithParam<size_t> {};

TEST_P(OpTable, MatchesReference) {
  const OpCase& c = op_cases()[GetParam()];
  for (DType dt : c.dtypes) {
    Generator gen(0x5eed0000 + GetParam() * 7919 + static_cast<int>(dt));
    Tensors inputs;
    for (const Input& in : c.inputs) inputs.push_back(make_input(in, dt, gen));
    Tensors ref_inputs;
    for (const Tensor& t : inputs) ref_inputs.push_back(t.to(reference_dtype(t.dtype())).contiguous());
    Tensors want = c.reference(ref_inputs);

    for (bool strided : {false, true}) {
      if (strided && !c.strided_inputs) continue;
      Tensors args;
      for (const Tensor& t : inputs) args.push_back(strided ? strided_copy(t) : t);
      std::string where = c.op + " [" + c.label + "] dtype " + dtype_name(dt) +
                          (strided ? " strided" : " contiguous");
      Tensors got;
      try {
        got = c.run(args);
      } catch (const std::exception& e) {
        ADD_FAILURE() << where << ": threw " << e.what();
        continue;
      }
      ASSERT_EQ(got.size(), want.size()) << where << ": number of outputs";
      for (size_t k = 0; k < got.size(); ++k)
        expect_close(got[k], want[k], dt, c.tol_scale, where + " output " + std::to_string(k));
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  const OpCase& c = op_cases()[info.param];
  std::string name = c.op + "_" + std::to_string(info.param);
  return name;
}

// The range is evaluated when tests are registered (after every registrar ran).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpTable);
INSTANTIATE_TEST_SUITE_P(Cases, OpTable, ::testing::Range<size_t>(0, op_cases().size()),
                         case_name);

TEST(OpTableCoverage, EveryOpHasARow) {
  std::vector<std::string> tested = tested_ops();
  std::set<std::string> have(tested.begin(), tested.end());
  std::string missing;
  for (int i = 0; i < kNumOps; ++i) {
    std::string name = op_info(static_cast<OpId>(i)).name;
    if (!have.count(name)) missing += " " + name;
  }
  EXPECT_TRUE(missing.empty()) << "ops without a row in the op-case table:" << missing;
  for (const std::string& name : tested) {
    EXPECT_TRUE(op_by_name(name).has_value()) << "op-case row names unknown op " << name;
  }
}

}  // namespace
}  // namespace ember::testing
