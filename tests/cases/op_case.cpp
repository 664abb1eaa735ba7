// Storage for the op-case table's rows.
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

}  // namespace ember::testing
