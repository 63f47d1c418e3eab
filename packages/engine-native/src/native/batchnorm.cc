// Batch normalization with given statistics (tfjs's FusedBatchNorm: the layer computes the batch's mean
// and variance itself with tf.moments) and its gradient, on channels-last data seen as [rows, channels].
// Both are single passes over the data; tfjs's own gradient is about fifteen elementwise ops.
#include <omp.h>

#include <cmath>

#include "context.hpp"

namespace vgglab {
namespace {

/** Rows of a [rows, channels] tensor split between threads. */
template <class Body>
void for_row_chunks(int64_t rows, int64_t channels, Body&& body) {
  int threads = rows * channels > 65536 ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), count = omp_get_num_threads();
    body(t, rows * t / count, rows * (t + 1) / count);
  }
}

/** Per-channel sums over row chunks, one slot of `width` doubles per thread, added up at the end. */
template <class Row>
std::vector<double> channel_sums(int64_t rows, int64_t channels, int width, Row&& row) {
  int threads = rows * channels > 65536 ? omp_get_max_threads() : 1;
  std::vector<double> partial(static_cast<size_t>(threads) * channels * width, 0.0);
  for_row_chunks(rows, channels, [&](int t, int64_t r0, int64_t r1) {
    double* acc = partial.data() + static_cast<size_t>(t) * channels * width;
    for (int64_t r = r0; r < r1; r++) row(r, acc);
  });
  std::vector<double> total(static_cast<size_t>(channels) * width, 0.0);
  for (int t = 0; t < threads; t++) {
    for (size_t i = 0; i < total.size(); i++) total[i] += partial[static_cast<size_t>(t) * total.size() + i];
  }
  return total;
}

/**
 * batchNorm(x, mean, variance, offset | null, scale | null, y, channels, epsilon):
 * y = offset + (x − mean) · scale / √(variance + ε), per channel, computed in double as tfjs's `cpu` does.
 */
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const float* x = f32(info, 0, "x");
  const float* mean = f32(info, 1, "mean");
  const float* variance = f32(info, 2, "variance");
  const float* offset = f32_or_null(info, 3, "offset");
  const float* scale = f32_or_null(info, 4, "scale");
  float* y = f32(info, 5, "y");
  const int64_t channels = static_cast<int64_t>(number(info, 6, "channels"));
  const double epsilon = number(info, 7, "epsilon");
  const int64_t rows = channels > 0 ? static_cast<int64_t>(f32_length(info, 0)) / channels : 0;
  for (size_t i : {1, 2, 3, 4}) expect_length(info, i, channels, "a statistic");
  expect_length(info, 0, rows * channels, "x");
  expect_length(info, 5, rows * channels, "y");
  std::vector<double> factor(channels), shift(channels), centre(channels);
  for (int64_t c = 0; c < channels; c++) {
    factor[c] = (scale ? scale[c] : 1.0) / std::sqrt(static_cast<double>(variance[c]) + epsilon);
    centre[c] = mean[c];
    shift[c] = offset ? offset[c] : 0.0;
  }
  for_row_chunks(rows, channels, [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* in = x + r * channels;
      float* out = y + r * channels;
      for (int64_t c = 0; c < channels; c++) out[c] = static_cast<float>(shift[c] + (in[c] - centre[c]) * factor[c]);
    }
  });
  return info.Env().Undefined();
}

/**
 * batchNormGrad(dy, x, mean, variance, scale | null, epsilon, dx, dMean, dVariance, dScale, dOffset):
 * the five gradients tfjs's FusedBatchNorm gradient gives, with r = 1/√(variance + ε) and s = scale:
 *   dx = dy·r·s,  dMean = −r·s·Σdy,  dVariance = −½·r³·s·Σdy(x − mean),  dScale = r·Σdy(x − mean),  dOffset = Σdy
 * (sums over every row, per channel). dx, dMean and dVariance are the partial derivatives of this op only:
 * the tape adds what flows back through the mean and variance inputs (tf.moments).
 */
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  const float* dy = f32(info, 0, "dy");
  const float* x = f32(info, 1, "x");
  const float* mean = f32(info, 2, "mean");
  const float* variance = f32(info, 3, "variance");
  const float* scale = f32_or_null(info, 4, "scale");
  const float epsilon = static_cast<float>(number(info, 5, "epsilon"));
  float* dx = f32(info, 6, "dx");
  float* d_mean = f32(info, 7, "dMean");
  float* d_variance = f32(info, 8, "dVariance");
  float* d_scale = f32(info, 9, "dScale");
  float* d_offset = f32(info, 10, "dOffset");
  const int64_t channels = static_cast<int64_t>(f32_length(info, 2));
  const int64_t rows = channels > 0 ? static_cast<int64_t>(f32_length(info, 1)) / channels : 0;
  for (size_t i : {0, 1, 6}) expect_length(info, i, rows * channels, "dy, x and dx");
  for (size_t i : {3, 4, 7, 8, 9, 10}) expect_length(info, i, channels, "a statistic");
  // As tfjs computes them: variance + ε in float32, then 1/√ in double rounded to float32.
  std::vector<float> r(channels), rs(channels);
  for (int64_t c = 0; c < channels; c++) {
    r[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(variance[c] + epsilon)));
    rs[c] = scale ? scale[c] : 1.f;
  }
  // One pass: Σdy and Σdy(x − mean) per channel, and dx.
  std::vector<double> sums = channel_sums(rows, channels, 2, [&](int64_t row, double* acc) {
    const float* g = dy + row * channels;
    const float* in = x + row * channels;
    float* out = dx + row * channels;
    for (int64_t c = 0; c < channels; c++) {
      acc[c] += g[c];
      acc[channels + c] += static_cast<double>(g[c]) * (in[c] - mean[c]);
      out[c] = (g[c] * r[c]) * rs[c];
    }
  });
  for (int64_t c = 0; c < channels; c++) {
    const double s1 = sums[c], s2 = sums[channels + c];
    const double rc = r[c], sc = rs[c];
    d_offset[c] = static_cast<float>(s1);
    d_scale[c] = static_cast<float>(rc * s2);
    d_mean[c] = static_cast<float>(-rc * sc * s1);
    d_variance[c] = static_cast<float>(-0.5 * rc * rc * rc * sc * s2);
  }
  return info.Env().Undefined();
}

/**
 * moments(x, mean, variance): per channel (last axis) over every row, the mean and the (biased) variance,
 * in two passes accumulated in double (tf.moments: Mean, then Mean of Square of Sub).
 */
Napi::Value Moments(const Napi::CallbackInfo& info) {
  const float* x = f32(info, 0, "x");
  float* mean = f32(info, 1, "mean");
  float* variance = f32(info, 2, "variance");
  const int64_t channels = static_cast<int64_t>(f32_length(info, 1));
  const int64_t rows = channels > 0 ? static_cast<int64_t>(f32_length(info, 0)) / channels : 0;
  expect_length(info, 0, rows * channels, "x");
  expect_length(info, 2, channels, "variance");
  std::vector<double> sums = channel_sums(rows, channels, 1, [&](int64_t r, double* acc) {
    const float* in = x + r * channels;
    for (int64_t c = 0; c < channels; c++) acc[c] += in[c];
  });
  std::vector<float> centre(channels);
  for (int64_t c = 0; c < channels; c++) mean[c] = centre[c] = static_cast<float>(sums[c] / rows);
  std::vector<double> squares = channel_sums(rows, channels, 1, [&](int64_t r, double* acc) {
    const float* in = x + r * channels;
    for (int64_t c = 0; c < channels; c++) {
      const double d = in[c] - centre[c];
      acc[c] += d * d;
    }
  });
  for (int64_t c = 0; c < channels; c++) variance[c] = static_cast<float>(squares[c] / rows);
  return info.Env().Undefined();
}

/**
 * momentsGrad(x, mean, dMean, dVariance, dx): dx = dMean/n + dVariance·2(x − mean)/n, per channel, n the rows
 * (the mean's own dependence on x adds Σ(x − mean) = 0 to the variance's gradient).
 */
Napi::Value MomentsGrad(const Napi::CallbackInfo& info) {
  const float* x = f32(info, 0, "x");
  const float* mean = f32(info, 1, "mean");
  const float* d_mean = f32(info, 2, "dMean");
  const float* d_variance = f32(info, 3, "dVariance");
  float* dx = f32(info, 4, "dx");
  const int64_t channels = static_cast<int64_t>(f32_length(info, 1));
  const int64_t rows = channels > 0 ? static_cast<int64_t>(f32_length(info, 0)) / channels : 0;
  for (size_t i : {0, 4}) expect_length(info, i, rows * channels, "x and dx");
  for (size_t i : {2, 3}) expect_length(info, i, channels, "dMean and dVariance");
  std::vector<float> shift(channels), scale(channels);
  for (int64_t c = 0; c < channels; c++) {
    shift[c] = static_cast<float>(d_mean[c] / static_cast<double>(rows));
    scale[c] = static_cast<float>(2.0 * d_variance[c] / static_cast<double>(rows));
  }
  for_row_chunks(rows, channels, [&](int, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* in = x + r * channels;
      float* out = dx + r * channels;
      for (int64_t c = 0; c < channels; c++) out[c] = shift[c] + scale[c] * (in[c] - mean[c]);
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void register_batchnorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("moments", Napi::Function::New(env, Moments));
  exports.Set("momentsGrad", Napi::Function::New(env, MomentsGrad));
}

}  // namespace vgglab
