// Runs the built `ember` program (EMBER_CLI_PATH) the way a user does. `ember ops --json` must
// list every op of kernels/ops.def in order, each with a row in the op-case table and, unless
// composite, a CPU kernel: so a missing row or kernel fails here by name.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/rules.h"
#include "kernels/registry.h"

namespace ember {
namespace {

using Json = nlohmann::ordered_json;

struct CliResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
};

// `ember <args>` through the shell; stderr joins stdout when `with_stderr`.
CliResult run_cli(const std::string& args, bool with_stderr = false) {
  std::string cmd =
      std::string("'") + EMBER_CLI_PATH + "' " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  CliResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

struct DefRow {
  std::string name, family;
};

// The EMBER_OP rows of kernels/ops.def, read from the source file itself.
std::vector<DefRow> ops_def_rows() {
  std::ifstream in(std::string(EMBER_SOURCE_DIR) + "/kernels/ops.def");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  std::regex row(R"(^EMBER_OP\((\w+),\s*\d+,\s*(\w+)\))", std::regex::multiline);
  std::vector<DefRow> rows;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), row); it != std::sregex_iterator(); ++it)
    rows.push_back({(*it)[1], (*it)[2]});
  return rows;
}

Json ops_json() {
  CliResult r = run_cli("ops --json");
  EXPECT_EQ(r.exit_code, 0);
  Json j = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "ember ops --json printed invalid JSON:\n" << r.out;
  return j;
}

TEST(Cli, OpsJsonListsEveryOpOfOpsDefInOrder) {
  std::vector<DefRow> def = ops_def_rows();
  ASSERT_EQ(static_cast<int>(def.size()), kNumOps) << "rows read from kernels/ops.def";
  Json j = ops_json();
  ASSERT_TRUE(j.is_object() && j.size() == 1 && j.contains("ops") && j["ops"].is_array());
  const Json& ops = j["ops"];
  ASSERT_EQ(static_cast<int>(ops.size()), kNumOps);
  const std::vector<std::string> keys = {"name", "family", "cpu", "cuda", "grad", "tested"};
  for (int i = 0; i < kNumOps; ++i) {
    const Json& op = ops[i];
    std::vector<std::string> got_keys;
    for (const auto& [k, v] : op.items()) got_keys.push_back(k);
    EXPECT_EQ(got_keys, keys) << "entry " << i;
    EXPECT_EQ(op.value("name", ""), def[i].name) << "entry " << i;
    EXPECT_EQ(op.value("family", ""), def[i].family) << "entry " << i;
    for (const char* flag : {"cpu", "cuda", "grad", "tested"})
      EXPECT_TRUE(op[flag].is_boolean()) << def[i].name << "." << flag;
  }
}

// The contract the op families close together: one op-case row per op.
TEST(Cli, EveryOpHasAnOpCaseRow) {
  Json j = ops_json();
  ASSERT_TRUE(j.contains("ops"));
  for (const Json& op : j["ops"]) {
    EXPECT_TRUE(op["tested"].get<bool>())
        << op["name"].get<std::string>() << ": no row in the op-case table (tests/cases/)";
  }
}

TEST(Cli, EveryPrimitiveOpHasACpuKernel) {
  Json j = ops_json();
  ASSERT_TRUE(j.contains("ops"));
  for (const Json& op : j["ops"]) {
    if (op["family"] == "composite") continue;
    EXPECT_TRUE(op["cpu"].get<bool>())
        << op["name"].get<std::string>() << " (" << op["family"].get<std::string>()
        << "): no cpu kernel registered; expected one in kernels/cpu/";
  }
}

// cpu/cuda agree with the kernel registry this test process sees; grad with the rule table.
TEST(Cli, OpsDeviceColumnsMatchTheRegistry) {
  Json j = ops_json();
  ASSERT_EQ(static_cast<int>(j["ops"].size()), kNumOps);
  // Composites count on a device only when every primitive has a kernel there.
  bool cpu_backend = true, cuda_backend = true;
  for (int i = 0; i < kNumOps; ++i) {
    const auto op = static_cast<OpId>(i);
    if (op_info(op).composite()) continue;
    cpu_backend &= has_kernel(op, DeviceType::cpu);
    cuda_backend &= has_kernel(op, DeviceType::cuda);
  }
  for (int i = 0; i < kNumOps; ++i) {
    const auto op = static_cast<OpId>(i);
    const Json& row = j["ops"][i];
    const bool composite = op_info(op).composite();
    EXPECT_EQ(row["cpu"].get<bool>(), composite ? cpu_backend : has_kernel(op, DeviceType::cpu))
        << op_name(op);
    EXPECT_EQ(row["cuda"].get<bool>(), composite ? cuda_backend : has_kernel(op, DeviceType::cuda))
        << op_name(op);
    EXPECT_EQ(row["grad"].get<bool>(), autograd::has_rule(op)) << op_name(op);
  }
}

TEST(Cli, OpsTableEndsWithTotalsMatchingTheJson) {
  Json j = ops_json();
  int cpu = 0, composite = 0, cuda = 0, grad = 0, tested = 0;
  for (const Json& op : j["ops"]) {
    bool is_composite = op["family"] == "composite";
    composite += is_composite;
    cpu += !is_composite && op["cpu"].get<bool>();
    cuda += op["cuda"].get<bool>();
    grad += op["grad"].get<bool>();
    tested += op["tested"].get<bool>();
  }
  CliResult r = run_cli("ops");
  ASSERT_EQ(r.exit_code, 0);
  std::string expected = std::to_string(kNumOps) + " ops: " + std::to_string(cpu) +
                         " cpu kernels, " + std::to_string(composite) + " composite, " +
                         std::to_string(cuda) + " cuda, " + std::to_string(grad) + " grad, " +
                         std::to_string(tested) + " tested\n";
  ASSERT_GE(r.out.size(), expected.size());
  EXPECT_EQ(r.out.substr(r.out.size() - expected.size()), expected);
  EXPECT_EQ(r.out.rfind("name", 0), 0u) << "the table starts with its header";
}

TEST(Cli, InfoReportsVersionAndDevices) {
  CliResult r = run_cli("info");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(std::string("ember ") + EMBER_VERSION), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cpu"), std::string::npos) << r.out;
#if defined(EMBER_SIMT)
  EXPECT_NE(r.out.find("cuda:0 (SIMT emulator)"), std::string::npos) << r.out;
#elif !defined(EMBER_CUDA_BACKEND)
  EXPECT_NE(r.out.find("cuda: not built"), std::string::npos) << r.out;
#endif

  CliResult rj = run_cli("info --json");
  ASSERT_EQ(rj.exit_code, 0);
  Json j = Json::parse(rj.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << rj.out;
  EXPECT_EQ(j.value("version", ""), EMBER_VERSION);
  EXPECT_EQ(j.value("build_type", ""), EMBER_BUILD_TYPE);
  EXPECT_GE(j.value("openmp_max_threads", 0), 1);
  EXPECT_FALSE(j.value("gemm_isa", "").empty());
  ASSERT_TRUE(j["devices"].is_array() && !j["devices"].empty());
  EXPECT_EQ(j["devices"][0].value("type", ""), "cpu");
  ASSERT_GE(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][1].value("type", ""), "cuda");
#if defined(EMBER_SIMT)
  EXPECT_TRUE(j["devices"][1].value("available", false));
  EXPECT_EQ(j["devices"][1].value("name", ""), "SIMT emulator");
  EXPECT_EQ(j["devices"][1].value("compute_capability", ""), "8.0");
  EXPECT_TRUE(j["cuda_memory"].contains("peak_bytes"));
#endif
  EXPECT_EQ(j["ops"].value("total", 0), kNumOps);
}

TEST(Cli, VersionAndHelpSucceed) {
  CliResult v = run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, std::string("ember ") + EMBER_VERSION + "\n");
  CliResult h = run_cli("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("info"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("ops"), std::string::npos) << h.out;
}

TEST(Cli, BadCommandLinesFailWithAUsageError) {
  CliResult unknown = run_cli("frobnicate", /*with_stderr=*/true);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.out.find("frobnicate"), std::string::npos) << unknown.out;

  CliResult bad_flag = run_cli("ops --frobnicate", true);
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.out.find("--frobnicate"), std::string::npos) << bad_flag.out;

  CliResult none = run_cli("", true);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.out.find("subcommand is required"), std::string::npos) << none.out;
}

}  // namespace
}  // namespace ember
