// One optimizer step for one variable, in place, in a single pass: core's TorchAdam, TorchSgd and
// TorchRmsprop (packages/core/src/optim/optimizers.ts), which follow torch.optim's rules. Each line below
// is one of core's float32 tensor ops, in the same order, so the result is the same to the bit as the op
// by op update on tfjs's `cpu` backend (no FMA contraction: binding.gyp sets -ffp-contract=off). The
// scalars arrive already rounded to float32 as tfjs rounds them (see src/kernels/optimizer.ts).
#include <omp.h>

#include <cmath>
#include <limits>

#include "context.hpp"

namespace vgglab {
namespace {

constexpr int64_t kParallelFrom = 1 << 16;

/** tfjs's Maximum is Math.max: NaN if either side is NaN. */
inline float js_max(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return a > b ? a : b;
}

/**
 * adamUpdate(p, g, m, v, vmax | null, scalars): scalars = [decay, l2, beta1, oneMinusBeta1, beta2,
 * oneMinusBeta2, sqrtBiasCorrection2, epsilon, stepSize] as a Float32Array.
 *   AdamW: p = p·decay (decay = 1 − lr·λ; 1 when off);  Adam: g = grad + p·l2 (l2 = λ; 0 when off)
 *   m = m·β1 + g·(1 − β1);  v = v·β2 + (g·g)·(1 − β2);  vmax = max(vmax, v)
 *   p = p − (m / (√v / √(1 − β2^t) + ε))·(lr / (1 − β1^t))
 */
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  float* p = f32(info, 0, "param");
  const float* grad = f32(info, 1, "grad");
  float* m = f32(info, 2, "m");
  float* v = f32(info, 3, "v");
  float* vmax = f32_or_null(info, 4, "vmax");
  const float* s = f32(info, 5, "scalars");
  expect_length(info, 5, 9, "scalars");
  const float decay = s[0], l2 = s[1], beta1 = s[2], one_minus_beta1 = s[3], beta2 = s[4], one_minus_beta2 = s[5],
              sqrt_bc2 = s[6], epsilon = s[7], step_size = s[8];
  const bool decoupled = decay != 1.f, coupled = l2 != 0.f;
  const int64_t n = static_cast<int64_t>(f32_length(info, 0));
  for (size_t i : {1, 2, 3, 4}) expect_length(info, i, n, "the gradient and every slot");
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) {
    float param = p[i];
    if (decoupled) param = param * decay;
    const float g = coupled ? grad[i] + param * l2 : grad[i];
    const float mi = m[i] * beta1 + g * one_minus_beta1;
    const float vi = v[i] * beta2 + (g * g) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (vmax) second = vmax[i] = js_max(vmax[i], vi);
    const float denom = std::sqrt(second) / sqrt_bc2 + epsilon;
    p[i] = param - (mi / denom) * step_size;
  }
  return info.Env().Undefined();
}

/**
 * sgdUpdate(p, g, buf | null, scalars, fresh, nesterov): scalars = [lr, momentum, oneMinusDampening, l2].
 *   g = grad + p·l2;  buf = g on the first step (fresh), else buf·μ + g·(1 − τ)
 *   d = g + buf·μ (nesterov) or buf (momentum) or g;  p = p − d·lr
 */
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  float* p = f32(info, 0, "param");
  const float* grad = f32(info, 1, "grad");
  float* buf = f32_or_null(info, 2, "momentumBuffer");
  const float* s = f32(info, 3, "scalars");
  expect_length(info, 3, 4, "scalars");
  const bool fresh = info[4].ToBoolean().Value(), nesterov = info[5].ToBoolean().Value();
  const float lr = s[0], momentum = s[1], one_minus_dampening = s[2], l2 = s[3];
  const bool coupled = l2 != 0.f;
  const int64_t n = static_cast<int64_t>(f32_length(info, 0));
  for (size_t i : {1, 2}) expect_length(info, i, n, "the gradient and the momentum buffer");
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) {
    const float param = p[i];
    const float g = coupled ? grad[i] + param * l2 : grad[i];
    float d = g;
    if (buf) {
      const float b = fresh ? g : buf[i] * momentum + g * one_minus_dampening;
      buf[i] = b;
      d = nesterov ? g + b * momentum : b;
    }
    p[i] = param - d * lr;
  }
  return info.Env().Undefined();
}

/**
 * rmspropUpdate(p, g, squareAvg, gradAvg | null, momentumBuffer | null, scalars):
 * scalars = [lr, alpha, oneMinusAlpha, epsilon, momentum, l2].
 *   g = grad + p·l2;  s = s·α + (g·g)·(1 − α)
 *   centred: a = a·α + g·(1 − α), avg = √(s − a·a) + ε;  else avg = √s + ε
 *   momentum: b = b·μ + g/avg, p = p − b·lr;  else p = p − (g/avg)·lr
 */
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  float* p = f32(info, 0, "param");
  const float* grad = f32(info, 1, "grad");
  float* square_avg = f32(info, 2, "squareAvg");
  float* grad_avg = f32_or_null(info, 3, "gradAvg");
  float* buf = f32_or_null(info, 4, "momentumBuffer");
  const float* s = f32(info, 5, "scalars");
  expect_length(info, 5, 6, "scalars");
  const float lr = s[0], alpha = s[1], one_minus_alpha = s[2], epsilon = s[3], momentum = s[4], l2 = s[5];
  const bool coupled = l2 != 0.f;
  const int64_t n = static_cast<int64_t>(f32_length(info, 0));
  for (size_t i : {1, 2, 3, 4}) expect_length(info, i, n, "the gradient and every slot");
#pragma omp parallel for simd schedule(static) if (n >= kParallelFrom)
  for (int64_t i = 0; i < n; i++) {
    const float param = p[i];
    const float g = coupled ? grad[i] + param * l2 : grad[i];
    const float sq = square_avg[i] * alpha + (g * g) * one_minus_alpha;
    square_avg[i] = sq;
    float avg;
    if (grad_avg) {
      const float a = grad_avg[i] * alpha + g * one_minus_alpha;
      grad_avg[i] = a;
      avg = std::sqrt(sq - a * a) + epsilon;
    } else {
      avg = std::sqrt(sq) + epsilon;
    }
    if (buf) {
      const float b = buf[i] * momentum + g / avg;
      buf[i] = b;
      p[i] = param - b * lr;
    } else {
      p[i] = param - (g / avg) * lr;
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void register_optimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate));
  exports.Set("rmspropUpdate", Napi::Function::New(env, RmspropUpdate));
}

}  // namespace vgglab
