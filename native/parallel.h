#pragma once
// Splits an elementwise loop over [0, n) between the calling thread and persistent helper threads.
// Elementwise updates give the same bits however they are split. Helpers sleep on a condition
// variable between calls, after watching for the next call for a few tens of microseconds (no
// lasting spin: ONNX Runtime's threads and the predictor need the cores).
//
// Work is handed out in small grains from a shared counter, and the caller takes grains too: a
// helper that wakes late (its core busy with an evaluation, say) only takes what is left, and the
// caller never waits for more than the grains helpers have already started. So a loop may offer
// every core even when another task holds some of them: it costs at most a wake-up.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class ParallelLoop {
 public:
  // Below this many elements a hand-off (~10–30 µs to wake a thread) costs more than it saves.
  static constexpr size_t kMinPerThread = 1 << 16;
  // Elements per grain: a few microseconds of an update, so that nobody waits long on a helper.
  static constexpr size_t kGrain = 1 << 13;
  static constexpr int kLingerMicros = 40;

  static ParallelLoop& Instance() {
    static ParallelLoop* loop = new ParallelLoop();  // never destroyed: helpers live with the process
    return *loop;
  }

  // body(begin, end) over disjoint ranges covering [0, n), on at most max_threads threads; returns
  // when all are done. Each of the n items stands for item_size elements (a row of a matrix, say).
  void Run(size_t n, size_t max_threads, const std::function<void(size_t, size_t)>& body, size_t item_size = 1) {
    const size_t parts = std::min({helpers_.size() + 1, max_threads, n * item_size / kMinPerThread, n});
    if (parts <= 1) {
      body(0, n);
      return;
    }
    std::unique_lock<std::mutex> one_at_a_time(run_mu_);
    const size_t grain = std::max<size_t>(1, kGrain / std::max<size_t>(1, item_size));
    {
      std::lock_guard<std::mutex> guard(mu_);
      body_ = &body;
      n_ = n;
      grain_ = grain;
      helpers_wanted_ = parts - 1;
      next_.store(0, std::memory_order_relaxed);
      open_ = true;
      generation_++;
      posted_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    Share(body, n, grain);
    std::unique_lock<std::mutex> lock(mu_);
    open_ = false;  // helpers that wake from now on leave this loop alone
    done_.wait(lock, [&] { return working_ == 0; });
  }

 private:
  ParallelLoop() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < std::min(cores, 4u); i++) {
      helpers_.emplace_back([this, i] { Work(i); });
      helpers_.back().detach();
    }
  }

  static void Pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }

  // Take grains until none are left.
  void Share(const std::function<void(size_t, size_t)>& body, size_t n, size_t grain) {
    for (size_t begin; (begin = next_.fetch_add(grain, std::memory_order_relaxed)) < n;) body(begin, std::min(begin + grain, n));
  }

  void Work(size_t index) {
    size_t seen = 0;
    for (;;) {
      // Loops often come in runs (one update per tensor): look out for the next one a moment
      // before sleeping, which costs a wake-up.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kLingerMicros);
      while (posted_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) Pause();
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (!open_ || index > helpers_wanted_) continue;
      working_++;
      const auto* body = body_;
      const size_t n = n_, grain = grain_;
      lock.unlock();
      Share(*body, n, grain);
      lock.lock();
      if (--working_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> helpers_;
  std::mutex run_mu_, mu_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, size_t)>* body_ = nullptr;
  std::atomic<size_t> next_{0};
  std::atomic<size_t> posted_{0};  // generation_, for helpers that look without the lock
  size_t n_ = 0, grain_ = 1, helpers_wanted_ = 0, working_ = 0, generation_ = 0;
  bool open_ = false;
};
