#include "context.hpp"

#include <omp.h>

#include <cstring>
#include <new>

namespace vgglab {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

SignalShield::SignalShield() {
  sigset_t all;
  sigfillset(&all);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&all, fault);
  pthread_sigmask(SIG_BLOCK, &all, &saved_);
}

SignalShield::~SignalShield() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

void set_threads(int threads) {
  // OpenMP's workers run oneDNN's kernels too, so they must never take a signal (see SignalShield): a
  // thread inherits its creator's mask, so the pool is created (grown) here with signals blocked.
  SignalShield shield;
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
#pragma omp parallel
  {
  }
}

int get_threads() { return omp_get_max_threads(); }

AlignedBuffer::AlignedBuffer(size_t bytes) { resize(bytes); }

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void AlignedBuffer::resize(size_t bytes) {
  if (bytes == bytes_) return;
  std::free(data_);
  data_ = nullptr;
  bytes_ = 0;
  if (bytes == 0) return;
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t rounded = (bytes + 63) / 64 * 64;
  data_ = std::aligned_alloc(64, rounded);
  if (!data_) throw std::bad_alloc();
  bytes_ = bytes;
}

static AlignedBuffer& scratch_buffer() {
  static AlignedBuffer buffer;
  return buffer;
}

dnnl::memory scratchpad_for(const dnnl::primitive_desc_base& pd) {
  md desc = pd.scratchpad_desc();
  AlignedBuffer& buffer = scratch_buffer();
  size_t need = desc.get_size();
  if (need > buffer.size()) buffer.resize(need);
  return dnnl::memory(desc, cpu_engine(), need > 0 ? buffer.data() : nullptr);
}

void* weights_scratch(size_t bytes) {
  static AlignedBuffer buffer;
  if (bytes > buffer.size()) buffer.resize(bytes);
  return buffer.data();
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

static Napi::TypedArray typed_array(const Napi::CallbackInfo& info, size_t index, const char* what,
                                    napi_typedarray_type type, const char* type_name) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("vgglab native: ") + what + " must be a " + type_name);
  }
  return value.As<Napi::TypedArray>();
}

float* f32(const Napi::CallbackInfo& info, size_t index, const char* what) {
  return typed_array(info, index, what, napi_float32_array, "Float32Array").As<Napi::Float32Array>().Data();
}

float* f32_or_null(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info[index].IsNull() || info[index].IsUndefined()) return nullptr;
  return f32(info, index, what);
}

size_t f32_length(const Napi::CallbackInfo& info, size_t index) {
  return typed_array(info, index, "array", napi_float32_array, "Float32Array").ElementLength();
}

void expect_length(const Napi::CallbackInfo& info, size_t index, int64_t expected, const char* what) {
  if (info[index].IsNull() || info[index].IsUndefined()) return;
  size_t actual = f32_length(info, index);
  if (static_cast<int64_t>(actual) != expected) {
    throw Napi::RangeError::New(info.Env(), std::string("vgglab native: ") + what + " has " + std::to_string(actual) +
                                                " elements, its shape says " + std::to_string(expected));
  }
}

std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t index, const char* what) {
  Napi::Int32Array array = typed_array(info, index, what, napi_int32_array, "Int32Array").As<Napi::Int32Array>();
  const int32_t* data = array.Data();
  return std::vector<int64_t>(data, data + array.ElementLength());
}

double number(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("vgglab native: ") + what + " must be a number");
  }
  return info[index].As<Napi::Number>().DoubleValue();
}

int64_t float_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

std::string make_key(const char* op, const std::vector<int64_t>& params) {
  std::string key(op);
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(params.data()), params.size() * sizeof(int64_t));
  return key;
}

static std::vector<size_t (*)()>& clearers() {
  static std::vector<size_t (*)()> list;
  return list;
}

void register_cache_clearer(size_t (*clear)()) { clearers().push_back(clear); }

size_t clear_all_caches() {
  size_t dropped = 0;
  for (auto clear : clearers()) dropped += clear();
  return dropped;
}

// Activation codes shared with src/kernels/activation.ts.
enum Activation { LINEAR = 0, RELU = 1, RELU6 = 2, LEAKY_RELU = 3, SIGMOID = 4, ELU = 5 };

bool append_activation(dnnl::post_ops& ops, int activation, float alpha) {
  switch (activation) {
    case LINEAR:
      return false;
    case RELU:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      return true;
    case RELU6:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
      return true;
    case LEAKY_RELU:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f);
      return true;
    case SIGMOID:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f);
      return true;
    case ELU:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f);
      return true;
    default:
      throw dnnl::error(dnnl_invalid_arguments, "unknown activation code");
  }
}

}  // namespace vgglab
