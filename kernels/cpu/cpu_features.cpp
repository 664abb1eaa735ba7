// Runtime CPU feature detection (__builtin_cpu_supports) and the EMBER_CPU_ISA override.
#include "kernels/cpu/cpu_features.h"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace ember::cpu {
namespace {

constexpr const char* kIsaEnvVar = "EMBER_CPU_ISA";

struct Features {
  bool avx512f = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512bw = false;
  bool avx2 = false;
  bool fma = false;
};

Features detect() {
  Features f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
#endif
  return f;
}

const Features& features() {
  static const Features f = detect();
  return f;
}

CpuIsa detected_best() {
  if (isa_supported(CpuIsa::avx512)) return CpuIsa::avx512;
  if (isa_supported(CpuIsa::avx2)) return CpuIsa::avx2;
  return CpuIsa::portable;
}

}  // namespace

bool isa_supported(CpuIsa isa) {
  const Features& f = features();
  switch (isa) {
    case CpuIsa::avx512:
      return f.avx512f && f.avx512vl && f.avx512dq && f.avx512bw && f.fma;
    case CpuIsa::avx2:
      return f.avx2 && f.fma;
    case CpuIsa::portable:
      return true;
  }
  return false;
}

CpuIsa best_isa() {
  static const CpuIsa detected = detected_best();
  const char* env = std::getenv(kIsaEnvVar);
  if (env == nullptr || *env == '\0') return detected;
  const std::string_view value(env);
  CpuIsa requested;
  if (value == "avx512") {
    requested = CpuIsa::avx512;
  } else if (value == "avx2") {
    requested = CpuIsa::avx2;
  } else if (value == "portable") {
    requested = CpuIsa::portable;
  } else {
    throw std::invalid_argument(std::string(kIsaEnvVar) + "=" + std::string(value) +
                                ": unknown ISA; expected avx512, avx2 or portable");
  }
  if (!isa_supported(requested)) {
    throw std::invalid_argument(std::string(kIsaEnvVar) + "=" + std::string(value) +
                                ": this CPU does not support it (features: " +
                                cpu_feature_string() + ")");
  }
  return requested;
}

const char* isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512:
      return "avx512";
    case CpuIsa::avx2:
      return "avx2";
    case CpuIsa::portable:
      return "portable";
  }
  return "unknown";
}

std::string cpu_feature_string() {
  const Features& f = features();
  std::string out;
  auto add = [&out](bool present, const char* name) {
    if (!present) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(f.avx512f, "avx512f");
  add(f.avx512vl, "avx512vl");
  add(f.avx512dq, "avx512dq");
  add(f.avx512bw, "avx512bw");
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  return out.empty() ? std::string("none") : out;
}

}  // namespace ember::cpu
