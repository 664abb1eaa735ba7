// Single-precision and double-precision general matrix multiply for the CPU backend, with
// arbitrary element strides and runtime dispatch to AVX-512, AVX2 or portable micro-kernels.
#pragma once
#include <cstdint>

namespace ember::cpu {

// C = alpha * A * B + beta * C, where A is M x K with element strides (rsa, csa), B is K x N
// with element strides (rsb, csb) and C is M x N with element strides (rsc, csc): element
// (i, j) of C is C[i * rsc + j * csc]. Transposed operands are expressed by swapping their
// strides; no copies are needed by the caller. beta == 0 makes C write-only (whatever C held,
// NaN included, is ignored); K == 0 or alpha == 0 gives beta * C without reading A or B.
// C must not alias A or B. Uses the ISA from best_isa() (EMBER_CPU_ISA overrides it) and
// OpenMP threads for problems with M * N * K >= 64^3 when not already in a parallel region.
void sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa,
           int64_t csa, const float* B, int64_t rsb, int64_t csb, float beta, float* C,
           int64_t rsc, int64_t csc);

void dgemm(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
           int64_t csa, const double* B, int64_t rsb, int64_t csb, double beta, double* C,
           int64_t rsc, int64_t csc);

}  // namespace ember::cpu
