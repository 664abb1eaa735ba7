// `ember ops`: every op of kernels/ops.def with its family, the devices it runs on, whether it
// has a derivative rule and whether the op-case table tests it; as a table or as JSON.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "autograd/rules.h"
#include "kernels/registry.h"
#include "tests/cases/op_case.h"
#include "tools/commands.h"

namespace ember::tools {

namespace {

// A composite op runs on a device once every primitive op has a kernel there (which
// primitives each composite uses is not recorded, so this is the conservative answer).
bool has_full_backend(DeviceType device) {
  for (int i = 0; i < kNumOps; ++i) {
    const auto op = static_cast<OpId>(i);
    if (!op_info(op).composite() && !has_kernel(op, device)) return false;
  }
  return true;
}

const char* yes_no(bool b) { return b ? "yes" : "no"; }

void print_table(const std::vector<OpStatus>& ops) {
  size_t name_w = 4, family_w = 6;
  for (const OpStatus& s : ops) {
    name_w = std::max(name_w, s.name.size());
    family_w = std::max(family_w, s.family.size());
  }
  const int nw = static_cast<int>(name_w), fw = static_cast<int>(family_w);
  std::printf("%-*s  %-*s  %-5s %-5s %-5s %s\n", nw, "name", fw, "family", "cpu", "cuda", "grad",
              "tested");
  for (const OpStatus& s : ops) {
    std::string cpu = std::string(yes_no(s.cpu)) + (s.composite && s.cpu ? "*" : "");
    std::printf("%-*s  %-*s  %-5s %-5s %-5s %s\n", nw, s.name.c_str(), fw, s.family.c_str(),
                cpu.c_str(), yes_no(s.cuda), yes_no(s.grad), yes_no(s.tested));
  }
  OpTotals t = op_totals(ops);
  std::printf(
      "\n* composite ops have no kernels of their own: they are device-generic code over the\n"
      "  primitive ops, available on a device once every primitive op has a kernel there.\n"
      "grad: the op has a derivative rule (autograd/derivatives.cpp). A composite op shows yes\n"
      "  only when it records itself (mean, cat); the others are differentiable exactly when\n"
      "  the primitives they are built from are.\n\n");
  std::printf("%d ops: %d cpu kernels, %d composite, %d cuda, %d grad, %d tested\n", t.ops,
              t.cpu_kernels, t.composite, t.cuda, t.grad, t.tested);
}

// {"ops": [...]} with one op object per line, keys in a fixed order.
void print_json(const std::vector<OpStatus>& ops) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  std::cout << "{\"ops\": [";
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpStatus& s = ops[i];
    std::cout << (i == 0 ? "\n  " : ",\n  ") << "{\"name\": " << nlohmann::json(s.name).dump()
              << ", \"family\": " << nlohmann::json(s.family).dump() << ", \"cpu\": " << b(s.cpu)
              << ", \"cuda\": " << b(s.cuda) << ", \"grad\": " << b(s.grad)
              << ", \"tested\": " << b(s.tested) << "}";
  }
  std::cout << "\n]}\n";
}

}  // namespace

std::vector<OpStatus> op_statuses() {
  std::vector<std::string> tested = ember::testing::tested_ops();  // sorted
  const bool cpu_backend = has_full_backend(DeviceType::cpu);
  const bool cuda_backend = has_full_backend(DeviceType::cuda);
  std::vector<OpStatus> ops;
  for (int i = 0; i < kNumOps; ++i) {
    const auto op = static_cast<OpId>(i);
    const OpInfo& info = op_info(op);
    OpStatus s;
    s.name = info.name;
    s.family = info.family;
    s.composite = info.composite();
    s.cpu = s.composite ? cpu_backend : has_kernel(op, DeviceType::cpu);
    s.cuda = s.composite ? cuda_backend : has_kernel(op, DeviceType::cuda);
    s.grad = autograd::has_rule(op);
    s.tested = std::binary_search(tested.begin(), tested.end(), s.name);
    ops.push_back(std::move(s));
  }
  return ops;
}

OpTotals op_totals(const std::vector<OpStatus>& ops) {
  OpTotals t;
  for (const OpStatus& s : ops) {
    ++t.ops;
    t.cpu_kernels += !s.composite && s.cpu;
    t.composite += s.composite;
    t.cuda += s.cuda;
    t.grad += s.grad;
    t.tested += s.tested;
  }
  return t;
}

void add_ops_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "ops", "List every op with its family, the devices it runs on, and its test coverage");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print {\"ops\": [...]}, one object per op in ops.def order");
  cmd->callback([json] {
    std::vector<OpStatus> ops = op_statuses();
    if (*json) {
      print_json(ops);
    } else {
      print_table(ops);
    }
  });
}

}  // namespace ember::tools
