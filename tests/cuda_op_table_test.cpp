// The op-case table's cuda column: every row runs on Device::cuda (the SIMT emulator here, a GPU
// in `make gpu-check`) on the same input values as on the cpu, contiguous and strided (the
// strided copy built on the device), under the emulator's forward and reverse schedules, and
// must match the cpu result of the same row within the row's dtype tolerance (random rows bit
// for bit; large rows run the full matrix in one dtype, see kCudaFullElements). Differentiable
// rows also compare their f32 gradients. A failure says whether a kernel is missing ("missing
// cuda kernel"), the run threw ("threw") or computed something else ("wrong result"). The
// coverage test asks for a cuda kernel for every op with a cpu kernel.
// docs/internals/cuda.md, "The op table's cuda column".
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "kernels/cuda/device_api.h"
#include "kernels/registry.h"
#include "tests/cases/op_case.h"
#include "tests/op_table_util.h"
#if defined(EMBER_SIMT)
#include "kernels/simt/simt.h"
#endif

namespace ember::testing {
namespace {

const Device kDevice = Device::cuda(0);

// Rows with more input and output elements than this (large odd shapes for the cpu's threaded
// paths) run in their first dtype only, contiguous under the forward schedule and strided
// under the reverse one; smaller rows run every dtype x schedule x layout. The emulator runs
// about 10^7 elements a second and the families' own CUDA tests cover large sizes in depth:
// the point here is every op and situation.
constexpr int64_t kCudaFullElements = int64_t{1} << 14;

// Gradients are compared at 4x the row's f32 tolerance: a backward sums broadcast and reduced
// gradients (sum_to, the reductions' rules) in each device's own order, over values that
// already carry the forward's rounding.
constexpr double kGradTolScale = 4.0;

int64_t elements(const Tensors& ts) {
  int64_t n = 0;
  for (const Tensor& t : ts) n += t.defined() ? t.numel() : 0;
  return n;
}

// Runs body(schedule suffix, strided) for each schedule x layout: all four when `full`, else
// contiguous under forward and strided under reverse. On a GPU the layouts run once each.
// Stops when body returns false (a missing kernel fails every run alike).
template <typename F>
void for_each_run(bool full, bool strided_too, F&& body) {
#if defined(EMBER_SIMT)
  for (const char* name : {"forward", "reverse"}) {
    simt::ScopedSchedule scope(simt::parse_schedule(name));
    const std::string suffix = std::string(" [schedule ") + name + "]";
    for (bool strided : {false, true}) {
      if (strided && !strided_too) continue;
      if (!full && strided != (std::string(name) == "reverse")) continue;
      if (!body(suffix, strided)) return;
    }
  }
#else
  (void)full;
  for (bool strided : {false, true}) {
    if (strided && !strided_too) continue;
    if (!body(std::string(), strided)) return;
  }
#endif
}

// What running a row on cuda gave: its outputs, or a failure already reported.
struct CudaRun {
  bool ok = false;
  bool missing_kernel = false;
  Tensors outputs;
};

template <typename F>
CudaRun run_reported(const std::string& where, F&& run) {
  CudaRun r;
  try {
    r.outputs = run();
    r.ok = true;
  } catch (const NotImplementedError& e) {
    r.missing_kernel = true;
    ADD_FAILURE() << where << ": missing cuda kernel: " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << where << ": threw " << e.what();
  }
  return r;
}

// Every output on cuda, of the cpu output's dtype, with its values within tolerance.
void expect_matches_cpu(const Tensors& want, const Tensors& got, DType row_dtype, double scale,
                        const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where << ": wrong result: number of outputs";
  for (size_t k = 0; k < got.size(); ++k) {
    const std::string at = where + " output " + std::to_string(k) + ": wrong result";
    if (!got[k].defined() || !want[k].defined()) {
      EXPECT_EQ(got[k].defined(), want[k].defined()) << at << ": defined on one device only";
      continue;
    }
    EXPECT_TRUE(got[k].device().is_cuda())
        << at << ": on " << got[k].device().str()
        << " (the row's run must create its tensors on its inputs' device)";
    EXPECT_EQ(got[k].dtype(), want[k].dtype()) << at << ": dtype";
    expect_close(got[k].to(Device::cpu()), want[k], row_dtype, scale, at);
  }
}

class OpTableCuda : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    if (cuda::device_count() == 0) GTEST_SKIP() << "no cuda device";
  }
};

TEST_P(OpTableCuda, MatchesCpu) {
  const OpCase& c = op_cases()[GetParam()];
  ASSERT_TRUE(!c.inputs.empty() || c.run_on)
      << c.op << " [" << c.label << "]: a row without inputs needs run_on to run on a device";
  for (DType dt : c.dtypes) {
    Generator gen(row_seed(GetParam(), dt));
    Tensors inputs;
    for (const Input& in : c.inputs) inputs.push_back(make_input(in, dt, gen));
    const Tensors want = c.inputs.empty() ? c.run_on(Device::cpu()) : c.run(inputs);
    const bool full = elements(inputs) + elements(want) <= kCudaFullElements;
    if (!full && dt != c.dtypes.front()) continue;
    Tensors on_device;
    for (const Tensor& t : inputs) on_device.push_back(t.to(kDevice));
    const bool strided_too = c.strided_inputs && !c.inputs.empty();
    for_each_run(full, strided_too, [&](const std::string& schedule, bool strided) {
      const std::string where = "cuda " + row_where(c, dt, strided) + schedule;
      CudaRun r = run_reported(where, [&] {
        if (c.inputs.empty()) return c.run_on(kDevice);
        Tensors args;
        for (const Tensor& t : on_device) args.push_back(strided ? strided_copy(t) : t);
        return c.run(args);
      });
      if (r.ok) expect_matches_cpu(want, r.outputs, dt, c.tol_scale, where);
      return !r.missing_kernel;
    });
  }
}

// The row's gradient in f32 on `device`: leaves from `inputs` (floating ones require grad),
// upstream gradients `ups` for the outputs in `which`. Undefined where an input gets none.
Tensors row_gradients(const OpCase& c, const Tensors& inputs, const std::vector<size_t>& which,
                      const Tensors& ups, Device device) {
  Tensors leaves, wrt;
  for (const Tensor& t : inputs) {
    Tensor x = t.to(device).detach();
    if (is_floating(x.dtype())) {
      x.requires_grad_(true);
      wrt.push_back(x);
    }
    leaves.push_back(x);
  }
  Tensors ys = c.run(leaves), outs, gs;
  for (size_t i = 0; i < which.size(); ++i) {
    outs.push_back(ys.at(which[i]));
    gs.push_back(ups[i].to(device));
  }
  return autograd::grad(outs, wrt, gs);
}

// Differentiable rows: f32 gradients on cuda match the cpu's for the same upstream gradients.
TEST_P(OpTableCuda, GradMatchesCpu) {
  const OpCase& c = op_cases()[GetParam()];
  if (c.grad.kind == GradSpec::none) GTEST_SKIP() << "opted out of gradients: " << c.grad.reason;
  if (std::find(c.dtypes.begin(), c.dtypes.end(), DType::f32) == c.dtypes.end()) {
    GTEST_SKIP() << "no f32 run";
  }
  Generator gen(row_seed(GetParam(), DType::f32));
  Tensors inputs;
  bool floating_input = false;
  for (const Input& in : c.inputs) {
    inputs.push_back(make_input(in, DType::f32, gen));
    floating_input |= is_floating(inputs.back().dtype());
  }
  if (!floating_input) GTEST_SKIP() << "no floating input";
  // The outputs that carry a gradient on the cpu, and one upstream gradient for each.
  std::vector<size_t> which;
  Tensors ups;
  int64_t size = elements(inputs);
  {
    Tensors leaves;
    for (const Tensor& t : inputs) {
      Tensor x = t.clone();
      if (is_floating(x.dtype())) x.requires_grad_(true);
      leaves.push_back(x);
    }
    Tensors ys = c.run(leaves);
    size += elements(ys);
    for (size_t k = 0; k < ys.size(); ++k) {
      if (!ys[k].requires_grad()) continue;
      which.push_back(k);
      ups.push_back(randn(ys[k].shape(), DType::f64, &gen).to(ys[k].dtype()));
    }
  }
  if (which.empty()) GTEST_SKIP() << "no output carries a gradient";
  const Tensors want = row_gradients(c, inputs, which, ups, Device::cpu());
  // Contiguous inputs (the forward test covers layouts); large rows: forward schedule only.
  for_each_run(size <= kCudaFullElements, false, [&](const std::string& schedule, bool) {
    const std::string where = "cuda gradient " + row_where(c, DType::f32, false) + schedule;
    CudaRun r = run_reported(where, [&] { return row_gradients(c, inputs, which, ups, kDevice); });
    if (r.ok) {
      expect_matches_cpu(want, r.outputs, DType::f32, kGradTolScale * c.tol_scale, where);
    }
    return !r.missing_kernel;
  });
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpTableCuda);
INSTANTIATE_TEST_SUITE_P(Cases, OpTableCuda, ::testing::Range<size_t>(0, op_cases().size()),
                         case_name);

// Every op with a cpu kernel has a cuda kernel. A composite runs on cuda only once the
// primitives it uses do; `ember ops` takes the conservative reading (every primitive), so the
// composites are listed as blocked until the last primitive gets its kernel.
TEST(OpTableCudaCoverage, EveryCpuOpHasACudaKernel) {
  std::string missing, blocked;
  for (int i = 0; i < kNumOps; ++i) {
    const auto op = static_cast<OpId>(i);
    if (op_info(op).composite()) {
      blocked += std::string(" ") + op_name(op);
    } else if (has_kernel(op, DeviceType::cpu) && !has_kernel(op, DeviceType::cuda)) {
      missing += std::string(" ") + op_name(op);
    }
  }
  EXPECT_TRUE(missing.empty()) << "ops with a cpu kernel but no cuda kernel (kernels/cuda/):"
                               << missing << "\ncomposites unavailable on cuda until those have "
                               << "kernels:" << blocked;
}

// The messages tell a missing kernel from a wrong result, and a wrong value or a result left
// on the cpu is caught.
TEST(OpTableCudaCoverage, FailuresSayMissingKernelOrWrongResult) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no cuda device";
  EXPECT_NONFATAL_FAILURE(
      run_reported("probe",
                   []() -> Tensors {
                     throw NotImplementedError("op sum is not implemented on device cuda");
                   }),
      "probe: missing cuda kernel: op sum is not implemented");
  EXPECT_NONFATAL_FAILURE(
      expect_matches_cpu({full({1}, 1.0)}, {full({1}, 1.001, DType::f32, Device::cuda(0))},
                         DType::f32, 1.0, "probe"),
      "probe output 0: wrong result: element 0 of [1] is 1.001");
  EXPECT_NONFATAL_FAILURE(
      expect_matches_cpu({full({1}, 1.0)}, {full({1}, 1.0)}, DType::f32, 1.0, "probe"),
      "wrong result: on cpu");
}

}  // namespace
}  // namespace ember::testing
