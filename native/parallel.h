#pragma once
// Splits an elementwise loop over [0, n) between the calling thread and persistent helper threads.
// Elementwise updates give the same bits however they are split. Helpers sleep on a condition
// variable between calls (no spinning: ONNX Runtime's threads and the predictor need the cores).
#include <algorithm>
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

  static ParallelLoop& Instance() {
    static ParallelLoop* loop = new ParallelLoop();  // never destroyed: helpers live with the process
    return *loop;
  }

  // body(begin, end) over at most max_threads disjoint chunks covering [0, n); returns when all are done.
  // Each of the n items stands for item_size elements (a row of a matrix, say).
  void Run(size_t n, size_t max_threads, const std::function<void(size_t, size_t)>& body, size_t item_size = 1) {
    const size_t parts = std::min({helpers_.size() + 1, max_threads, n * item_size / kMinPerThread, n});
    if (parts <= 1) {
      body(0, n);
      return;
    }
    std::unique_lock<std::mutex> lock(run_mu_);  // one parallel loop at a time
    const size_t chunk = (n + parts - 1) / parts;
    {
      std::lock_guard<std::mutex> guard(mu_);
      body_ = &body;
      chunk_ = chunk;
      n_ = n;
      parts_ = parts;
      pending_ = parts - 1;
      generation_++;
    }
    wake_.notify_all();
    body(0, std::min(chunk, n));
    std::unique_lock<std::mutex> wait(mu_);
    done_.wait(wait, [&] { return pending_ == 0; });
  }

 private:
  ParallelLoop() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < std::min(cores, 4u); i++) {
      helpers_.emplace_back([this, i] { Work(i); });
      helpers_.back().detach();
    }
  }

  void Work(size_t index) {
    size_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (index >= parts_) continue;  // not needed for this loop
      const size_t begin = index * chunk_;
      const auto* body = body_;
      const size_t end = std::min(begin + chunk_, n_);
      lock.unlock();
      (*body)(begin, end);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> helpers_;
  std::mutex run_mu_, mu_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t, size_t)>* body_ = nullptr;
  size_t chunk_ = 0, n_ = 0, parts_ = 0, pending_ = 0, generation_ = 0;
};
