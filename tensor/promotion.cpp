// The promotion lattice of tensor/promotion.h.
#include "tensor/promotion.h"

namespace ember {

namespace {
// Rank within the integer chain; floats and bool are handled separately.
int int_rank(DType d) {
  switch (d) {
    case DType::u8:
    case DType::i8:
      return 1;
    case DType::i32:
      return 2;
    case DType::i64:
      return 3;
    default:
      return 0;
  }
}
int float_rank(DType d) {
  switch (d) {
    case DType::f16:
    case DType::bf16:
      return 1;
    case DType::f32:
      return 2;
    case DType::f64:
      return 3;
    default:
      return 0;
  }
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::b8) return b;
  if (b == DType::b8) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) {
    if (float_rank(a) == float_rank(b)) return DType::f32;  // f16 with bf16
    return float_rank(a) > float_rank(b) ? a : b;
  }
  if (fa) return a;
  if (fb) return b;
  if (int_rank(a) == int_rank(b)) return DType::i32;  // u8 with i8
  return int_rank(a) > int_rank(b) ? a : b;
}

DType promote_with_scalar(DType tensor, bool scalar_is_integral) {
  if (is_floating(tensor)) return tensor;
  if (!scalar_is_integral) return DType::f32;
  return tensor == DType::b8 ? DType::i64 : tensor;
}

}  // namespace ember
