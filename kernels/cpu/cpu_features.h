// Runtime CPU feature detection for the CPU backend: which SIMD instruction set the kernels
// dispatch to, overridable with the EMBER_CPU_ISA environment variable.
#pragma once
#include <string>

namespace ember::cpu {

// The instruction sets the CPU kernels have code paths for, best first.
enum class CpuIsa { avx512, avx2, portable };

// True when this CPU (and OS) can run the kernels written for `isa`. AVX-512 needs
// avx512f/vl/dq/bw + fma; AVX2 needs avx2 + fma; portable is always supported.
bool isa_supported(CpuIsa isa);

// The best supported ISA, unless EMBER_CPU_ISA=avx512|avx2|portable asks for another one.
// The variable is read on every call so tests can switch paths with setenv(). Throws
// std::invalid_argument when the value is unknown or names an ISA this CPU lacks.
CpuIsa best_isa();

// "avx512", "avx2" or "portable".
const char* isa_name(CpuIsa isa);

// The SIMD features this CPU reports, space-separated, e.g. "avx512f avx512vl avx2 fma".
std::string cpu_feature_string();

}  // namespace ember::cpu
