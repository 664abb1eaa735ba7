// Type promotion for ops with several inputs (docs/internals/tensor.md has the table).
//   bool < u8, i8 < i32 < i64 < f16, bf16 < f32 < f64
// Two dtypes promote to the smallest type holding both: u8 + i8 -> i32 (ember has no i16),
// f16 + bf16 -> f32, any integer + any float -> that float. A scalar (double) never widens a
// floating tensor; with an integer or bool tensor, an integral scalar keeps the tensor's dtype
// (bool -> i64) and a fractional one gives f32.
#pragma once
#include "kernels/dtype.h"

namespace ember {

DType promote_types(DType a, DType b);
// dtype of `tensor op scalar`; `scalar_is_integral`: the double holds an integer value and
// was written as one (callers pass std::trunc(v) == v).
DType promote_with_scalar(DType tensor, bool scalar_is_integral);
// f32 for integer and bool dtypes, the dtype itself for floating ones.
inline DType to_floating(DType d) { return is_floating(d) ? d : DType::f32; }

}  // namespace ember
