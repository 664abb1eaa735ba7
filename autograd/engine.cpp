// The backward engine: the recording hook that builds nodes, and an iterative reverse
// topological walk (dependency counting, no recursion) that runs each node's rule once all
// gradients flowing into it have arrived.
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "autograd/autograd.h"
#include "autograd/node.h"
#include "autograd/rules.h"
#include "kernels/error.h"
#include "tensor/ops.h"

namespace ember {
namespace autograd {
namespace {

const char* view_name(ViewOp v) {
  switch (v) {
    case ViewOp::reshape: return "reshape";
    case ViewOp::permute: return "permute";
    case ViewOp::slice: return "slice";
    case ViewOp::select: return "select";
    case ViewOp::expand: return "expand";
    case ViewOp::as_strided: return "as_strided";
    case ViewOp::none: break;
  }
  return "copy";
}

TensorInfo info_of(const Tensor& t) {
  return {t.shape(), t.strides(), t.offset(), t.dtype()};
}

std::shared_ptr<AutogradMeta>& meta_of(const Tensor& t) {
  auto& m = t.impl().autograd;
  if (!m) m = std::make_shared<AutogradMeta>();
  return m;
}

// EMBER_ANOMALY read once; a thread's AnomalyGuard overrides it (-1: not overridden).
bool anomaly_from_env() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_ANOMALY");
    return v != nullptr && *v != '\0' && std::string(v) != "0";
  }();
  return on;
}
thread_local int anomaly_override = -1;

std::string describe_tensor(const Tensor& t) {
  return t.defined() ? str(dtype_name(t.dtype()), t.shape()) : std::string("undefined");
}

// "mul(f32[2, 3], f32[3]) -> f32[2, 3]": what anomaly mode reports as a node's origin.
std::string describe_call(const OpCall& call) {
  std::string s = call.view != ViewOp::none ? str("view(", view_name(call.view), ")")
                                            : std::string(op_name(call.op));
  s += '(';
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    if (i > 0) s += ", ";
    s += describe_tensor(call.inputs[i]);
  }
  s += ") -> ";
  for (size_t k = 0; k < call.outputs.size(); ++k) {
    if (k > 0) s += ", ";
    s += describe_tensor(call.outputs[k]);
  }
  return s;
}

// The hook tensor/ calls for every op on inputs that require grad (grad mode on).
void record(OpCall&& call) {
  bool differentiable = false;
  for (const Tensor& o : call.outputs) differentiable |= is_floating(o.dtype());
  if (!differentiable) return;

  auto node = std::make_shared<Node>();
  node->op = call.op;
  node->view = call.view;
  node->dims = std::move(call.dims);
  node->dim = call.dim;
  node->keepdim = call.keepdim;
  node->a = call.a;
  node->b = call.b;
  node->rule = find_rule(call.op, call.view);
  if (anomaly_enabled()) node->trace = describe_call(call);
  const uint32_t save_in = node->rule ? node->rule->save_inputs : 0;
  const uint32_t save_out = node->rule ? node->rule->save_outputs : 0;

  const size_t n_in = call.inputs.size();
  node->inputs.resize(n_in);
  node->edges.resize(n_in);
  node->saved_inputs.resize(n_in);
  for (size_t i = 0; i < n_in; ++i) {
    const Tensor& t = call.inputs[i];
    if (!t.defined()) continue;
    node->inputs[i] = info_of(t);
    if (t.requires_grad()) {
      auto& m = meta_of(t);
      if (m->grad_fn) {
        node->edges[i].node = m->grad_fn;
        node->edges[i].output_nr = m->output_nr;
      } else {
        node->edges[i].leaf = m;
      }
    }
    if (save_in & (1u << i)) node->saved_inputs[i] = SavedTensor{t, t.storage()->version()};
  }
  const size_t n_out = call.outputs.size();
  node->outputs.resize(n_out);
  node->retained.resize(n_out);
  node->saved_outputs.resize(n_out);
  for (size_t k = 0; k < n_out; ++k) {
    const Tensor& o = call.outputs[k];
    node->outputs[k] = info_of(o);
    if (save_out & (1u << k)) node->saved_outputs[k] = SavedTensor{o.detach(), o.storage()->version()};
    if (!is_floating(o.dtype())) continue;
    o.impl().requires_grad = true;
    auto m = std::make_shared<AutogradMeta>();
    m->grad_fn = node;
    m->output_nr = static_cast<int>(k);
    o.impl().autograd = std::move(m);
  }
}

// Installs the hook when the library loads.
[[maybe_unused]] const bool kHookInstalled = (set_grad_hook(&record), true);

// A gradient of `shape` as the caller's leaf should hold it: its own dense storage.
Tensor owned(const Tensor& g) {
  if (g.is_contiguous() && g.storage().use_count() == 1) return g;
  return g.clone();
}

void accumulate_into(AutogradMeta& m, const Tensor& g) {
  m.grad = m.grad.defined() ? m.grad + g : owned(g);
}

// Where autograd::grad collects the gradients it was asked for.
struct Capture {
  std::unordered_map<const AutogradMeta*, size_t> leaves;
  std::unordered_map<const Node*, std::vector<std::pair<int, size_t>>> outputs;
  std::vector<Tensor> grads;
};

void add_to(Tensor& slot, const Tensor& g) { slot = slot.defined() ? slot + g : g; }

// Runs the tensor's gradient hooks in order, each on the previous one's result.
Tensor apply_hooks(const AutogradMeta& m, Tensor g) {
  // By index on a copy: a hook may register further hooks (they run from the next backward).
  for (size_t i = 0, n = m.hooks.size(); i < n; ++i) {
    const Tensor::GradHookFn hook = m.hooks[i];
    if (!hook) continue;
    Tensor r = hook(g);
    if (!r.defined()) continue;
    EMBER_CHECK(r.shape() == g.shape(), ShapeError, "register_hook: hook ", i, " returned a "
                "gradient of shape ", r.shape(), " for a gradient of shape ", g.shape(),
                "; a hook returns a tensor of the gradient's shape, or an undefined one");
    if (r.dtype() != g.dtype()) r = r.to(g.dtype());
    g = std::move(r);
  }
  return g;
}

// Anomaly mode: the gradient `node` produced for input `i` must be finite.
void check_finite(const Node& node, size_t i, const Tensor& g) {
  const std::vector<double> v = g.detach().to(Device::cpu()).to(DType::f64).to_vector<double>();
  size_t bad = 0, first = 0;
  for (size_t j = v.size(); j-- > 0;) {
    if (!std::isfinite(v[j])) ++bad, first = j;
  }
  if (bad == 0) return;
  throw Error(str("backward (anomaly mode): the gradient that '", node.name(), "' computed for ",
                  "its input ", i, " (shape ", g.shape(), ") has ", bad, " NaN/Inf element(s) of ",
                  v.size(), ", the first at flat index ", first, " (", v[first], "); the node "
                  "was created by ", node.trace.empty() ? std::string("a forward call made while "
                  "anomaly mode was off (turn it on before the forward to see the call)")
                  : node.trace));
}

// True when `from` broadcasts to `to` (the shape a broadcast input's gradient arrives in).
bool broadcasts_to(const Shape& from, const Shape& to) {
  const int lead = to.size() - from.size();
  if (lead < 0) return false;
  for (int d = 0; d < from.size(); ++d) {
    if (from[d] != 1 && from[d] != to[d + lead]) return false;
  }
  return true;
}

Tensor fit_to_input(const Node& node, int i, Tensor g) {
  const TensorInfo& info = node.inputs[i];
  if (g.shape() != info.shape) {
    // Not a numel comparison: an input broadcast against an empty tensor gets an empty
    // gradient, which sums to zeros of the input's shape.
    EMBER_CHECK(broadcasts_to(info.shape, g.shape()), Error, "autograd: the rule of '",
                node.name(), "' returned a gradient of shape ", g.shape(), " for input ", i,
                " of shape ", info.shape);
    g = sum_to(g, info.shape);
  }
  if (g.dtype() != info.dtype) g = g.to(info.dtype);
  return g;
}

void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                  bool retain_graph, bool create_graph, Capture* capture) {
  GradModeGuard mode(create_graph);
  const bool anomaly = anomaly_enabled();
  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  std::vector<Node*> stack;
  auto finish_leaf = [&](const std::shared_ptr<AutogradMeta>& leaf, const Tensor& g) {
    if (capture == nullptr) {
      accumulate_into(*leaf, create_graph ? g : g.detach());
      return;
    }
    add_to(capture->grads[capture->leaves.at(leaf.get())], g);
  };
  // Leaves with hooks collect their whole gradient first: the hooks run once, after the walk.
  std::vector<std::pair<std::shared_ptr<AutogradMeta>, Tensor>> hooked_leaves;
  std::unordered_map<const AutogradMeta*, size_t> hooked_index;
  auto deliver_leaf = [&](const std::shared_ptr<AutogradMeta>& leaf, const Tensor& g) {
    if (capture != nullptr && !capture->leaves.count(leaf.get())) return;
    if (leaf->hooks.empty()) {
      finish_leaf(leaf, g);
      return;
    }
    auto [it, fresh] = hooked_index.try_emplace(leaf.get(), hooked_leaves.size());
    if (fresh) hooked_leaves.emplace_back(leaf, Tensor());
    add_to(hooked_leaves[it->second].second, g);
  };

  for (size_t r = 0; r < roots.size(); ++r) {
    const Tensor& root = roots[r];
    EMBER_CHECK(root.requires_grad(), ValueError, "backward: the tensor of shape ", root.shape(),
                " does not require grad and has no grad_fn; call requires_grad_() on a leaf it "
                "depends on before computing it (and do not compute it under NoGradGuard)");
    Tensor g = root_grads.size() > r ? root_grads[r] : Tensor();
    if (!g.defined()) {
      EMBER_CHECK(root.numel() == 1, ValueError, "backward: the output has shape ", root.shape(),
                  " (", root.numel(), " elements); a gradient is implicit only for a one-element "
                  "output: pass gradient= of the output's shape");
      g = ones(root.shape(), root.dtype(), root.device());
    }
    EMBER_CHECK(g.shape() == root.shape(), ShapeError, "backward: gradient of shape ", g.shape(),
                " does not match the output's shape ", root.shape());
    EMBER_CHECK(g.device() == root.device(), DeviceError, "backward: gradient is on ",
                g.device().str(), " but the output is on ", root.device().str());
    if (g.dtype() != root.dtype()) g = g.to(root.dtype());
    const auto& m = root.impl().autograd;
    if (!m || !m->grad_fn) {
      deliver_leaf(meta_of(root), g);
      continue;
    }
    Node* n = m->grad_fn.get();
    auto& buf = buffers[n];
    buf.resize(n->outputs.size());
    add_to(buf[m->output_nr], g);
    stack.push_back(n);
  }

  // Count, for every reachable node, the edges that will deliver a gradient into it.
  std::unordered_map<Node*, int> deps;
  {
    std::vector<Node*> todo = stack;
    std::unordered_map<Node*, bool> seen;
    for (Node* n : todo) seen[n] = true;
    while (!todo.empty()) {
      Node* n = todo.back();
      todo.pop_back();
      for (const Edge& e : n->edges) {
        if (!e.node) continue;
        Node* c = e.node.get();
        ++deps[c];
        if (!seen[c]) {
          seen[c] = true;
          todo.push_back(c);
        }
      }
    }
  }
  std::vector<Node*> ready;
  for (Node* n : stack) {
    if (deps[n] == 0 && (ready.empty() || ready.back() != n)) ready.push_back(n);
  }
  // Duplicates (one node reached by two roots) are dropped as nodes run.
  std::unordered_map<Node*, bool> done;

  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    if (done[n]) continue;
    done[n] = true;
    std::vector<Tensor> grads = std::move(buffers[n]);
    buffers.erase(n);
    grads.resize(n->outputs.size());
    bool any = false;
    for (const Tensor& g : grads) any |= g.defined();

    if (any) {
      for (size_t k = 0; k < grads.size(); ++k) {
        if (!grads[k].defined()) continue;
        auto m = n->retained[k].lock();
        if (!m) continue;
        if (!m->hooks.empty()) grads[k] = apply_hooks(*m, grads[k]);
        if (m->retains_grad && capture == nullptr) {
          accumulate_into(*m, create_graph ? grads[k] : grads[k].detach());
        }
      }
      if (capture != nullptr) {
        auto it = capture->outputs.find(n);
        if (it != capture->outputs.end()) {
          for (auto [k, slot] : it->second) {
            if (grads[k].defined()) add_to(capture->grads[slot], grads[k]);
          }
        }
      }
      EMBER_CHECK(n->rule != nullptr, Error, "backward: the derivative of '", n->name(),
                  "' is not implemented yet; it has no rule in autograd/derivatives.cpp");
      EMBER_CHECK(!n->released, ValueError, "backward: trying to backward through the graph a "
                  "second time: the saved tensors of '", n->name(), "' were freed by the first "
                  "backward; pass retain_graph=true to the first backward() (or autograd::grad) "
                  "if you need to backward twice");
      Device device = Device::cpu();  // every output of an op is on one device
      for (const Tensor& g : grads) {
        if (g.defined()) device = g.device();
      }
      for (size_t k = 0; k < grads.size(); ++k) {
        if (!grads[k].defined()) {
          const TensorInfo& o = n->outputs[k];
          grads[k] = zeros(o.shape, is_floating(o.dtype) ? o.dtype : DType::f32, device);
        }
      }
      std::vector<Tensor> in_grads = n->rule->backward(BackwardCtx{*n, grads});
      grads.clear();
      in_grads.resize(n->edges.size());
      for (size_t i = 0; i < n->edges.size(); ++i) {
        const Edge& e = n->edges[i];
        if (!e.defined() || !in_grads[i].defined()) continue;
        Tensor g = fit_to_input(*n, static_cast<int>(i), in_grads[i]);
        if (anomaly) check_finite(*n, i, g);
        if (e.leaf) {
          deliver_leaf(e.leaf, g);
        } else {
          auto& buf = buffers[e.node.get()];
          buf.resize(e.node->outputs.size());
          add_to(buf[e.output_nr], g);
        }
      }
      if (!retain_graph) n->release();
    }
    for (const Edge& e : n->edges) {
      if (e.node && --deps[e.node.get()] == 0) ready.push_back(e.node.get());
    }
  }
  for (auto& [leaf, g] : hooked_leaves) finish_leaf(leaf, apply_hooks(*leaf, g));
}

}  // namespace

bool anomaly_enabled() {
  return anomaly_override < 0 ? anomaly_from_env() : anomaly_override != 0;
}

void set_anomaly_enabled(bool enabled) { anomaly_override = enabled ? 1 : 0; }

std::string Node::name() const {
  if (view != ViewOp::none) return str("view(", view_name(view), ")");
  return op_name(op);
}

namespace {
Tensor unpack(const Node& n, const std::optional<SavedTensor>& s, const char* what, int i) {
  EMBER_CHECK(s.has_value(), Error, "autograd: the rule of '", n.name(), "' reads ", what, " ",
              i, ", which its row does not save");
  EMBER_CHECK(s->data.storage()->version() == s->version, ValueError, "backward: ", what, " ", i,
              " of '", n.name(), "' (shape ", s->data.shape(), ") was saved for the gradient but "
              "has since been modified by an in-place operation (version ", s->version, " -> ",
              s->data.storage()->version(), "); clone it before writing to it, or write after "
              "backward()");
  return s->data;
}
}  // namespace

Tensor Node::input(int i) const { return unpack(*this, saved_inputs[i], "input", i); }

Tensor Node::output(int i) const {
  Tensor t = unpack(*this, saved_outputs[i], "output", i);
  // Re-attach the output to this node so rules reading it stay differentiable.
  Tensor alias = t.detach();
  alias.impl().requires_grad = true;
  auto m = std::make_shared<AutogradMeta>();
  m->grad_fn = std::const_pointer_cast<Node>(shared_from_this());
  m->output_nr = i;
  alias.impl().autograd = std::move(m);
  return alias;
}

void Node::release() {
  bool had_saved = false;
  for (auto& s : saved_inputs) had_saved |= s.has_value(), s.reset();
  for (auto& s : saved_outputs) had_saved |= s.has_value(), s.reset();
  released = released || had_saved;
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph) {
  Capture capture;
  capture.grads.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    EMBER_CHECK(t.requires_grad(), ValueError, "grad: input ", i, " of shape ", t.shape(),
                " does not require grad");
    const auto& m = meta_of(t);
    if (m->grad_fn) {
      capture.outputs[m->grad_fn.get()].push_back({m->output_nr, i});
    } else {
      capture.leaves[m.get()] = i;
    }
  }
  run_backward(outputs, grad_outputs, retain_graph, create_graph, &capture);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& g = capture.grads[i];
    if (g.defined() && g.dtype() != inputs[i].dtype()) g = g.to(inputs[i].dtype());
  }
  return capture.grads;
}

}  // namespace autograd

// --- Tensor's autograd methods ---------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool requires_grad) {
  if (requires_grad) {
    EMBER_CHECK(is_floating(dtype()), DTypeError, "requires_grad_: only floating tensors can "
                "require grad, got dtype ", dtype_name(dtype()));
  } else {
    EMBER_CHECK(is_leaf(), ValueError, "requires_grad_: cannot turn off requires_grad of a "
                "non-leaf tensor (shape ", shape(), "); use detach() instead");
  }
  impl().requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& m = impl().autograd;
  return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    EMBER_CHECK(grad.shape() == shape(), ShapeError, "set_grad: gradient of shape ",
                grad.shape(), " does not match the tensor's shape ", shape());
  }
  autograd::meta_of(*this)->grad = grad;
}

bool Tensor::is_leaf() const {
  const auto& m = impl().autograd;
  return !m || !m->grad_fn;
}

void Tensor::retain_grad() const {
  EMBER_CHECK(requires_grad(), ValueError, "retain_grad: the tensor of shape ", shape(),
              " does not require grad");
  const auto& m = impl().autograd;
  if (!m->grad_fn) return;  // leaves keep their grad anyway
  m->retains_grad = true;
  m->grad_fn->retained[m->output_nr] = m;
}

void Tensor::zero_grad(bool set_to_none) const {
  const auto& m = impl().autograd;
  if (!m || !m->grad.defined()) return;
  if (set_to_none) {
    m->grad = Tensor();
  } else if (m->grad.requires_grad()) {
    // A create_graph gradient belongs to a graph: replace it rather than write into it.
    m->grad = zeros(m->grad.shape(), m->grad.dtype(), m->grad.device());
  } else {
    GradModeGuard off(false);
    m->grad.zero_();
  }
}

size_t Tensor::register_hook(GradHookFn hook) const {
  EMBER_CHECK(requires_grad(), ValueError, "register_hook: the tensor of shape ", shape(),
              " does not require grad, so no gradient would reach the hook; call "
              "requires_grad_() on it (a leaf) or on a leaf it is computed from");
  EMBER_CHECK(static_cast<bool>(hook), ValueError, "register_hook: the hook is empty");
  const auto& m = autograd::meta_of(*this);
  m->hooks.push_back(std::move(hook));
  if (m->grad_fn) m->grad_fn->retained[m->output_nr] = m;
  return m->hooks.size() - 1;
}

void Tensor::remove_hook(size_t handle) const {
  const auto& m = impl().autograd;
  const size_t n = m ? m->hooks.size() : 0;
  EMBER_CHECK(handle < n && m->hooks[handle], IndexError, "remove_hook: no hook with handle ",
              handle, " on this tensor (", n, " registered, removed ones included)");
  m->hooks[handle] = nullptr;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::run_backward({*this}, {gradient}, retain_graph, create_graph, nullptr);
}

}  // namespace ember
