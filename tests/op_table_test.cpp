// The table-driven op test: every row of the op-case table (tests/cases/) runs for each of its
// dtypes with contiguous and non-contiguous inputs, and is compared with its float64
// reference under the tolerances of DESIGN.md §8 (input-less rows also through run_on). Also
// checks every op in kernels/ops.def has at least one row.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "kernels/op_table.h"
#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"
#include "tests/op_table_util.h"

namespace ember::testing {
namespace {

class OpTable : public ::testing::TestWithParam<size_t> {};

TEST_P(OpTable, MatchesReference) {
  const OpCase& c = op_cases()[GetParam()];
  for (DType dt : c.dtypes) {
    Generator gen(row_seed(GetParam(), dt));
    Tensors inputs;
    for (const Input& in : c.inputs) inputs.push_back(make_input(in, dt, gen));
    Tensors ref_inputs;
    for (const Tensor& t : inputs)
      ref_inputs.push_back(t.to(reference_dtype(t.dtype())).contiguous());
    Tensors want = c.reference(ref_inputs);
    if (c.run_on) {
      // The device form of an input-less row (tests/cuda_op_table_test.cpp runs it on cuda).
      const std::string where = c.op + " [" + c.label + "] run_on(cpu)";
      Tensors got = c.run_on(Device::cpu());
      ASSERT_EQ(got.size(), want.size()) << where << ": number of outputs";
      for (size_t k = 0; k < got.size(); ++k)
        expect_close(got[k], want[k], dt, c.tol_scale, where + " output " + std::to_string(k));
    }

    for (bool strided : {false, true}) {
      if (strided && !c.strided_inputs) continue;
      Tensors args;
      for (const Tensor& t : inputs) args.push_back(strided ? strided_copy(t) : t);
      std::string where = row_where(c, dt, strided);
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
