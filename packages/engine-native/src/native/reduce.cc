// Sums and means over contiguous axes, as [outer, reduce, inner] -> [outer, inner]: bias gradients
// (the leading axes of NHWC: outer 1), batch-norm statistics, and the loss's row sums (inner 1).
// Accumulated in double, as tfjs's `cpu` kernel does in JavaScript, then rounded to float once.
#include <omp.h>

#include "context.hpp"

namespace vgglab {
namespace {

/** Every output column summed over rows [r0, r1) of one outer block, into acc (inner doubles). */
void sum_rows(const float* x, int64_t r0, int64_t r1, int64_t inner, double* acc) {
  for (int64_t r = r0; r < r1; r++) {
    const float* row = x + r * inner;
    for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
  }
}

/** outer == 1, the columns of a tall matrix: threads split the rows, then their partial sums are added. */
void reduce_leading(const float* x, float* y, int64_t reduce, int64_t inner, float divisor) {
  int threads = (reduce * inner > 65536) ? omp_get_max_threads() : 1;
  std::vector<double> partial(static_cast<size_t>(threads) * inner, 0.0);
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), count = omp_get_num_threads();
    int64_t r0 = reduce * t / count, r1 = reduce * (t + 1) / count;
    sum_rows(x, r0, r1, inner, partial.data() + static_cast<size_t>(t) * inner);
  }
  for (int64_t i = 0; i < inner; i++) {
    double total = 0;
    for (int t = 0; t < threads; t++) total += partial[static_cast<size_t>(t) * inner + i];
    y[i] = static_cast<float>(total) / divisor;
  }
}

/** General case: each outer block is reduced by one thread. */
void reduce_blocks(const float* x, float* y, int64_t outer, int64_t reduce, int64_t inner, float divisor) {
#pragma omp parallel if (outer > 1 && outer * reduce * inner > 65536)
  {
    std::vector<double> acc(inner);
#pragma omp for schedule(static)
    for (int64_t o = 0; o < outer; o++) {
      std::fill(acc.begin(), acc.end(), 0.0);
      if (inner == 1) {
        const float* row = x + o * reduce;
        double total = 0;
        for (int64_t r = 0; r < reduce; r++) total += row[r];
        acc[0] = total;
      } else {
        sum_rows(x + o * reduce * inner, 0, reduce, inner, acc.data());
      }
      for (int64_t i = 0; i < inner; i++) {
        y[o * inner + i] = static_cast<float>(acc[i]) / divisor;
      }
    }
  }
}

/**
 * reduceSum(x, y, outer, reduce, inner, mean): y[o, i] = sum over r of x[o, r, i]; with mean, divided by
 * `reduce` in float32 after rounding the sum (tfjs's Mean: a Sum, then a RealDiv by the count).
 */
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  const float* x = f32(info, 0, "x");
  float* y = f32(info, 1, "y");
  int64_t outer = static_cast<int64_t>(number(info, 2, "outer"));
  int64_t reduce = static_cast<int64_t>(number(info, 3, "reduce"));
  int64_t inner = static_cast<int64_t>(number(info, 4, "inner"));
  bool mean = info[5].ToBoolean().Value();
  expect_length(info, 0, outer * reduce * inner, "x");
  expect_length(info, 1, outer * inner, "y");
  // Dividing by 1 is exact: one code path for both.
  float divisor = mean ? static_cast<float>(reduce) : 1.f;
  if (outer == 1 && inner > 1) {
    reduce_leading(x, y, reduce, inner, divisor);
  } else {
    reduce_blocks(x, y, outer, reduce, inner, divisor);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum));
}

}  // namespace vgglab
