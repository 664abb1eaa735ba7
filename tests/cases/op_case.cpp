// Storage for the op-case table's rows, and the shrinking of big rows for gradcheck.
#include "tests/cases/op_case.h"

#include <algorithm>

namespace ember::testing {

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

std::vector<std::string> tested_ops() {
  std::vector<std::string> names;
  for (const OpCase& c : op_cases()) names.push_back(c.op);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

int64_t floating_elements(const std::vector<Input>& inputs) {
  int64_t n = 0;
  for (const Input& in : inputs) {
    if (!in.dtype || is_floating(*in.dtype)) n += in.shape.numel();
  }
  return n;
}

std::vector<Input> shrunk(std::vector<Input> inputs, int64_t target) {
  auto capped = [&](int64_t cap) {
    std::vector<Input> out = inputs;
    for (Input& in : out) {
      for (int d = 0; d < in.shape.size(); ++d) in.shape[d] = std::min(in.shape[d], cap);
    }
    return out;
  };
  // The largest cap in [2, largest dim] that fits: elements only grow with the cap.
  int64_t lo = 2, hi = 2;
  for (const Input& in : inputs) {
    for (int64_t s : in.shape) hi = std::max(hi, s);
  }
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (floating_elements(capped(mid)) <= target) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return capped(lo);
}

void shrink_for_gradcheck(std::vector<OpCase>& rows) {
  for (OpCase& c : rows) {
    if (c.grad.kind != GradSpec::none && c.grad_inputs.empty() &&
        floating_elements(c.inputs) > kGradcheckMaxElements) {
      c.grad_inputs = shrunk(c.inputs);
    }
  }
}

}  // namespace ember::testing
