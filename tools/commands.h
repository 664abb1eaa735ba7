// The `ember` subcommands (tools/info_command.cpp, tools/ops_command.cpp) and the per-op
// status they share: where each op of kernels/ops.def can run and what covers it.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace ember::tools {

// One row of `ember ops`.
struct OpStatus {
  std::string name;
  std::string family;
  bool composite = false;
  bool cpu = false;     // a cpu kernel is registered (composite: the cpu backend exists)
  bool cuda = false;    // likewise for cuda
  bool grad = false;    // a derivative rule exists (autograd is not built yet: always false)
  bool tested = false;  // the op-case table (tests/cases/) has a row for it
};

// Every op, in ops.def order.
std::vector<OpStatus> op_statuses();

struct OpTotals {
  int ops = 0;
  int cpu_kernels = 0;  // primitive ops with a cpu kernel
  int composite = 0;
  int cuda = 0;
  int grad = 0;
  int tested = 0;
};
OpTotals op_totals(const std::vector<OpStatus>& ops);

void add_info_command(CLI::App& app);
void add_ops_command(CLI::App& app);

}  // namespace ember::tools
