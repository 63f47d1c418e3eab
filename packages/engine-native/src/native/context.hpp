// Shared pieces of the addon: the oneDNN engine and stream, the scratchpad, argument reading, and the
// primitive cache. Every addon function is called synchronously on the JS thread, one at a time, so the
// engine state here needs no locks.
#pragma once

#include <napi.h>
#include <signal.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <cstdlib>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vgglab {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using md = dnnl::memory::desc;

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

/** Threads for oneDNN and the addon's own loops (OpenMP); 0 = the OpenMP default (all cores). */
void set_threads(int threads);
int get_threads();

/**
 * oneDNN's scratchpad, in user mode: one buffer grown to the largest need and shared by every primitive
 * (calls are serial), instead of each primitive holding its own.
 */
dnnl::memory scratchpad_for(const dnnl::primitive_desc_base& pd);

/**
 * Room for one tensor of weights in a primitive's own layout (reordered in before a call, or out after
 * one): only needed during the call, so one buffer serves every convolution instead of a copy of each
 * layer's weights per direction (~180 MB for VGG16).
 */
void* weights_scratch(size_t bytes);

/** An attribute with the user scratchpad mode every primitive here uses. */
dnnl::primitive_attr base_attr();

/** 64-byte aligned float storage owned by a cache entry (reordered weights, workspaces). */
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();
  void* data() const { return data_; }
  size_t size() const { return bytes_; }
  void resize(size_t bytes);  // contents are not kept

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

/** The data of a Float32Array argument (no copy); throws a TypeError naming the argument otherwise. */
float* f32(const Napi::CallbackInfo& info, size_t index, const char* what);
/** Like f32, or nullptr when the argument is null or undefined. */
float* f32_or_null(const Napi::CallbackInfo& info, size_t index, const char* what);
/** The element count of a Float32Array argument. */
size_t f32_length(const Napi::CallbackInfo& info, size_t index);
/**
 * Checks that a Float32Array argument holds exactly `expected` elements (a RangeError otherwise): the
 * kernels read and write through raw pointers, so a shape that disagrees with its data must never reach
 * them. A null argument (an absent bias) passes.
 */
void expect_length(const Napi::CallbackInfo& info, size_t index, int64_t expected, const char* what);
/** The values of an Int32Array argument (shape and attribute lists). */
std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t index, const char* what);
double number(const Napi::CallbackInfo& info, size_t index, const char* what);

/** A float's bits, to put a float attribute into a cache key exactly. */
int64_t float_bits(float value);

/** A cache key: the operation's name and its integer parameters. */
std::string make_key(const char* op, const std::vector<int64_t>& params);

/**
 * Primitives cached by shape, least recently used evicted past `capacity`: creating a primitive descriptor
 * and JIT-compiling its kernel costs far more than running it on a training batch.
 */
template <class Entry>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t capacity = 256) : capacity_(capacity) {}

  template <class Make>
  Entry& get(const std::string& key, Make&& make) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      return *found->second->second;
    }
    order_.emplace_front(key, make());
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return *order_.front().second;
  }

  size_t size() const { return order_.size(); }
  void clear() {
    index_.clear();
    order_.clear();
  }

 private:
  using Item = std::pair<std::string, std::unique_ptr<Entry>>;
  size_t capacity_;
  std::list<Item> order_;
  std::unordered_map<std::string, typename std::list<Item>::iterator> index_;
};

/**
 * Blocks asynchronous signals on this thread while it lives. oneDNN 2.6's JIT f32 GEMM (matmul, and the
 * GEMM-based convolutions it picks for tiny feature maps) points rsp into a heap buffer while it runs, so
 * a signal delivered then (SIGPROF from `node --cpu-prof`, SIGINT, SIGCHLD, SIGWINCH) pushes its frame
 * onto the heap and corrupts it (oneDNN issue #4845, fixed upstream in 2026 by PR #4855). Blocked signals
 * stay pending and are delivered when the mask is restored, between primitives. Faults stay unblocked.
 */
class SignalShield {
 public:
  SignalShield();
  ~SignalShield();
  SignalShield(const SignalShield&) = delete;
  SignalShield& operator=(const SignalShield&) = delete;

 private:
  sigset_t saved_;
};

/**
 * Runs `body` with signals blocked (SignalShield) and turns a dnnl::error into a JS Error naming the
 * operation (and a bad argument into a TypeError).
 */
template <class Body>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, Body&& body) {
  try {
    SignalShield shield;
    body();
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("vgglab native ") + op + ": oneDNN error: " + e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), std::string("vgglab native ") + op + ": out of memory");
  }
  return info.Env().Undefined();
}

/** Registration hooks of each concern's file (addon.cc calls them). */
void register_conv(Napi::Env env, Napi::Object exports);
void register_pooling(Napi::Env env, Napi::Object exports);
void register_batchnorm(Napi::Env env, Napi::Object exports);
void register_matmul(Napi::Env env, Napi::Object exports);
void register_eltwise(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_optimizer(Napi::Env env, Napi::Object exports);
/** Drops every cached primitive (all concerns); returns how many were cached. */
size_t clear_all_caches();
void register_cache_clearer(size_t (*clear)());

/** oneDNN's post-op for a tfjs fused activation code (see src/kernels/activation.ts); false for linear. */
bool append_activation(dnnl::post_ops& ops, int activation, float alpha);

}  // namespace vgglab
