// The `make demo` program (for now; later issues replace it with training a real model):
// fits y = x w + b to synthetic data with full-batch gradient descent and with mini-batch SGD,
// using only ember's public tensor API, and checks that both recover the true weights.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tensor/ops.h"

using namespace ember;

namespace {

constexpr int64_t kSamples = 10000;
constexpr int64_t kFeatures = 8;
constexpr double kNoiseStd = 0.1;
constexpr double kTolerance = 0.05;  // the fit fails if any |w - w_true| is above this

struct Model {
  Tensor w = zeros({kFeatures, 1});
  Tensor b = zeros({});  // 0-d: broadcasts over every row
};

Tensor predict(const Model& m, const Tensor& x) { return x.matmul(m.w) + m.b; }

double mse(const Model& m, const Tensor& x, const Tensor& y) {
  return (predict(m, x) - y).square().mean().item();
}

// One gradient step on the batch (x, y) for loss = mean((x w + b - y)^2):
//   dloss/dw = 2/n x^T (x w + b - y)      dloss/db = 2/n sum(x w + b - y)
void gradient_step(Model& m, const Tensor& x, const Tensor& y, double lr) {
  Tensor residual = predict(m, x) - y;  // [n, 1]
  double scale = 2.0 / static_cast<double>(x.size(0));
  Tensor grad_w = x.t().matmul(residual) * scale;  // x.t() is a view: no copy
  Tensor grad_b = residual.sum() * scale;
  m.w = m.w - lr * grad_w;
  m.b = m.b - lr * grad_b;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Model fit_full_batch(const Tensor& x, const Tensor& y) {
  std::printf("\n(a) full-batch gradient descent, lr 0.02\n");
  Model m;
  for (int step = 1; step <= 300; ++step) {
    gradient_step(m, x, y, 0.02);
    if (step % 30 == 0) std::printf("  step %4d  loss %.6f\n", step, mse(m, x, y));
  }
  return m;
}

Model fit_sgd(const Tensor& x, const Tensor& y, Generator& gen) {
  constexpr int64_t kBatch = 100;
  std::printf("\n(b) mini-batch SGD, batch %lld, lr 0.05, reshuffled every epoch\n",
              static_cast<long long>(kBatch));
  Model m;
  for (int epoch = 1; epoch <= 5; ++epoch) {
    Tensor order = argsort(rand({kSamples}, DType::f32, &gen));  // a random permutation
    for (int64_t start = 0; start < kSamples; start += kBatch) {
      Tensor idx = order.slice(0, start, start + kBatch);
      gradient_step(m, index_select(x, 0, idx), index_select(y, 0, idx), 0.05);
    }
    std::printf("  epoch %d  loss %.6f\n", epoch, mse(m, x, y));
  }
  return m;
}

}  // namespace

int main() {
  Generator gen(2024);
  const std::vector<float> true_w = {1.5f, -2.0f, 0.5f, 3.0f, -0.7f, 0.0f, 2.2f, -1.1f};
  const float true_b = 0.8f;
  Tensor w_true = from_vector(true_w, Shape{kFeatures, 1});

  // x ~ N(0, 1); y = x w_true + b_true + noise with noise ~ N(0, kNoiseStd^2).
  Tensor x = randn({kSamples, kFeatures}, DType::f32, &gen);
  Tensor y = x.matmul(w_true) + true_b + kNoiseStd * randn({kSamples, 1}, DType::f32, &gen);
  std::printf("linear regression: %lld samples, %lld features, noise std %.2f\n",
              static_cast<long long>(kSamples), static_cast<long long>(kFeatures), kNoiseStd);

  auto t0 = std::chrono::steady_clock::now();
  Model gd = fit_full_batch(x, y);
  double gd_seconds = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  Model sgd = fit_sgd(x, y, gen);
  double sgd_seconds = seconds_since(t0);

  std::printf("\n  %-6s %8s %11s %8s\n", "param", "true", "full-batch", "sgd");
  std::vector<float> w_gd = gd.w.to_vector<float>(), w_sgd = sgd.w.to_vector<float>();
  for (size_t i = 0; i < true_w.size(); ++i) {
    std::string name = "w[" + std::to_string(i) + "]";
    std::printf("  %-6s %8.4f %11.4f %8.4f\n", name.c_str(), true_w[i], w_gd[i], w_sgd[i]);
  }
  std::printf("  %-6s %8.4f %11.4f %8.4f\n", "b", true_b, gd.b.item(), sgd.b.item());

  // The best any linear fit can do is the noise variance itself.
  std::printf("\n  final mse: full-batch %.6f, sgd %.6f (noise variance %.6f)\n", mse(gd, x, y),
              mse(sgd, x, y), kNoiseStd * kNoiseStd);
  std::printf("  time:      full-batch %.3f s, sgd %.3f s\n", gd_seconds, sgd_seconds);

  bool ok = true;
  for (const auto& [name, m] : {std::pair{"full-batch", &gd}, std::pair{"sgd", &sgd}}) {
    double w_err = (m->w - w_true).abs().max().item();
    double b_err = std::fabs(m->b.item() - true_b);
    double err = std::max(w_err, b_err);
    std::printf("  %-10s max |param - true| = %.4f %s\n", name, err,
                err <= kTolerance ? "ok" : "FAILED");
    ok = ok && err <= kTolerance;
  }
  return ok ? 0 : 1;
}
