// The recording hook's state: the installed hook and the thread-local grad mode.
#include "tensor/grad_hook.h"

namespace ember {

namespace detail {
GradHook grad_hook = nullptr;
thread_local bool grad_enabled = true;
}  // namespace detail

void set_grad_hook(GradHook hook) { detail::grad_hook = hook; }

void record_op(OpCall&& call) {
  if (detail::grad_hook != nullptr) detail::grad_hook(std::move(call));
}

}  // namespace ember
