// Builds the StridedLoop an elementwise kernel runs over: operands broadcast to one shape,
// dims coalesced (so contiguous data becomes one flat loop) and ordered for the output.
#pragma once
#include <initializer_list>
#include <vector>

#include "kernels/kernel_args.h"
#include "tensor/tensor.h"

namespace ember {

// `out` first, then the inputs; every input must broadcast to out's shape (checked by the
// caller). `coalesce = false` keeps every dim (for ops that need coordinates, e.g. tril).
StridedLoop make_loop(const Tensor& out, std::initializer_list<const Tensor*> inputs,
                      bool coalesce = true);

// The strides that view `t` broadcast to `shape` (0 where broadcast).
Strides broadcast_strides(const Tensor& t, const Shape& shape);

// Throws DeviceError unless every defined tensor is on the same device as the first.
void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors);

}  // namespace ember
