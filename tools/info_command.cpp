// `ember info`: what this build of ember is and what it found on this machine: version, build
// type, compiler, OpenMP threads, CPU features and the GEMM path chosen, devices (the cuda ones:
// the SIMT emulator or the card, with the CUDA caching allocator's statistics), the CPU
// allocator's statistics and the op counts.
// `--json` prints the same as one object.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cuda/device_api.h"
#include "kernels/error.h"
#include "tensor/cuda_allocator.h"
#include "tensor/storage.h"
#include "tools/commands.h"

namespace ember::tools {

namespace {

// The cuda devices this build sees: "cuda:0 (SIMT emulator)", "cuda:0 NVIDIA H100 ...", or why
// there are none.
struct CudaDevice {
  int index = 0;
  std::string name;
  bool emulated = false;
  int64_t total_memory = 0;
  int major = 0, minor = 0;  // compute capability
};

std::string cuda_status(const std::vector<CudaDevice>& devices) {
#if defined(EMBER_CUDA_BACKEND)
  return devices.empty() ? "no device found (no GPU or driver)" : "";
#else
  (void)devices;
  return "not built (configure with the SIMT emulator or -DEMBER_CUDA=ON)";
#endif
}

// The CUDA caching allocator's statistics, all devices together (zero without a backend).
struct CudaMemory {
  MemoryStats stats;
  int64_t segments = 0;
  int64_t cache_hits = 0;
  bool caching = false;
};

CudaMemory cuda_allocator_memory() {
  CudaMemory m;
#if defined(EMBER_CUDA_BACKEND)
  const CudaCachingAllocator& allocator = cuda_caching_allocator();
  const CudaMemoryStats s = allocator.stats();
  m = {s, s.segments, s.cache_hits, allocator.caching()};
#endif
  return m;
}

std::vector<CudaDevice> cuda_devices() {
  std::vector<CudaDevice> out;
#if defined(EMBER_CUDA_BACKEND)
  for (int i = 0; i < cuda::device_count(); ++i) {
    const cuda::DeviceProperties p = cuda::device_properties(i);
    out.push_back({i, p.name, p.emulated, static_cast<int64_t>(p.total_memory), p.major, p.minor});
  }
#endif
  return out;
}

std::string compiler_name() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "unknown compiler";
#endif
}

std::string human_bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

struct Info {
  std::string version = EMBER_VERSION;
  std::string build_type = EMBER_BUILD_TYPE;
  std::string compiler = compiler_name();
  int omp_threads = omp_get_max_threads();
  std::string cpu_features;
  std::string gemm_isa;
  const char* isa_override = std::getenv("EMBER_CPU_ISA");  // shown, applied by best_isa()
  MemoryStats memory = cpu_memory_stats();
  std::vector<CudaDevice> cuda = cuda_devices();
  CudaMemory cuda_memory = cuda_allocator_memory();
  OpTotals ops = op_totals(op_statuses());
};

Info gather() {
  Info info;
  info.cpu_features = std::string(cpu::cpu_feature_string());
  info.gemm_isa = std::string(cpu::isa_name(cpu::best_isa()));
  return info;
}

void print_text(const Info& i) {
  std::printf("ember %s (%s build)\n", i.version.c_str(), i.build_type.c_str());
  std::printf("  compiler      %s\n", i.compiler.c_str());
  std::printf("  openmp        %d threads (OMP_NUM_THREADS sets it)\n", i.omp_threads);
  std::printf("  cpu features  %s\n", i.cpu_features.c_str());
  std::string why = i.isa_override ? str("EMBER_CPU_ISA=", i.isa_override)
                                   : std::string("the best this cpu supports");
  std::printf("  gemm isa      %s (%s)\n", i.gemm_isa.c_str(), why.c_str());
  std::printf("  devices       cpu\n");
  for (const CudaDevice& d : i.cuda) {
    if (d.emulated) {
      std::printf("                cuda:%d (%s)\n", d.index, d.name.c_str());
    } else {
      std::printf("                cuda:%d %s, compute capability %d.%d, %s\n", d.index,
                  d.name.c_str(), d.major, d.minor, human_bytes(d.total_memory).c_str());
    }
  }
  if (i.cuda.empty()) std::printf("                cuda: %s\n", cuda_status(i.cuda).c_str());
  if (!i.cuda.empty()) {
    const CudaMemory& m = i.cuda_memory;
    std::printf(
        "  cuda memory   %s allocated, %s reserved in %lld segments, peak %s, %lld "
        "allocations, %lld from the cache (this process); caching %s\n",
        human_bytes(m.stats.allocated).c_str(), human_bytes(m.stats.reserved).c_str(),
        static_cast<long long>(m.segments), human_bytes(m.stats.peak).c_str(),
        static_cast<long long>(m.stats.allocations), static_cast<long long>(m.cache_hits),
        m.caching ? "on" : "off (EMBER_CUDA_CACHING=0)");
  }
  std::printf(
      "  cpu memory    %s allocated, %s reserved, peak %s, %lld allocations (this "
      "process)\n",
      human_bytes(i.memory.allocated).c_str(), human_bytes(i.memory.reserved).c_str(),
      human_bytes(i.memory.peak).c_str(), static_cast<long long>(i.memory.allocations));
  std::printf(
      "  ops           %d in kernels/ops.def: %d cpu kernels, %d composite, %d cuda, %d tested\n",
      i.ops.ops, i.ops.cpu_kernels, i.ops.composite, i.ops.cuda, i.ops.tested);
}

void print_json(const Info& i) {
  nlohmann::ordered_json j;
  j["version"] = i.version;
  j["build_type"] = i.build_type;
  j["compiler"] = i.compiler;
  j["openmp_max_threads"] = i.omp_threads;
  j["cpu_features"] = i.cpu_features;
  j["gemm_isa"] = i.gemm_isa;
  j["cpu_isa_override"] = i.isa_override ? nlohmann::ordered_json(i.isa_override) : nullptr;
  j["devices"] = nlohmann::ordered_json::array({{{"type", "cpu"}, {"available", true}}});
  for (const CudaDevice& d : i.cuda) {
    j["devices"].push_back({{"type", "cuda"},
                            {"index", d.index},
                            {"available", true},
                            {"name", d.name},
                            {"emulated", d.emulated},
                            {"compute_capability", str(d.major, ".", d.minor)},
                            {"total_memory_bytes", d.total_memory}});
  }
  if (i.cuda.empty()) {
    j["devices"].push_back(
        {{"type", "cuda"}, {"available", false}, {"status", cuda_status(i.cuda)}});
  }
  j["cpu_memory"] = {{"allocated_bytes", i.memory.allocated},
                     {"reserved_bytes", i.memory.reserved},
                     {"peak_bytes", i.memory.peak},
                     {"allocations", i.memory.allocations}};
  j["cuda_memory"] = {{"allocated_bytes", i.cuda_memory.stats.allocated},
                      {"reserved_bytes", i.cuda_memory.stats.reserved},
                      {"peak_bytes", i.cuda_memory.stats.peak},
                      {"allocations", i.cuda_memory.stats.allocations},
                      {"segments", i.cuda_memory.segments},
                      {"cache_hits", i.cuda_memory.cache_hits},
                      {"caching", i.cuda_memory.caching}};
  j["ops"] = {{"total", i.ops.ops},           {"cpu_kernels", i.ops.cpu_kernels},
              {"composite", i.ops.composite}, {"cuda", i.ops.cuda},
              {"grad", i.ops.grad},           {"tested", i.ops.tested}};
  std::cout << j.dump(2) << "\n";
}

}  // namespace

void add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "info", "Show the version, build, compiler, threads, CPU features, devices and op counts");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the same information as one JSON object");
  cmd->callback([json] {
    Info info = gather();
    if (*json) {
      print_json(info);
    } else {
      print_text(info);
    }
  });
}

}  // namespace ember::tools
