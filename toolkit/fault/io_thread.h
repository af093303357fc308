// failover6::fault::IoThread: an asio io_context run by a thread of its own, and calls into it
// from other threads serialised with its stop(). The part PartnerProxy and UdpProxy share.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace failover6::fault {

/// Owns the io_context (declare it before the sockets and timers that use it, so that it
/// outlives them) and the thread that runs it. Every method is safe from any thread but the
/// io thread itself.
class IoThread {
 public:
  /// @param name names the owner in the error call() throws once stopped.
  explicit IoThread(std::string name) : name_(std::move(name)) {}
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  ~IoThread() {
    if (thread_.joinable()) {  // stop() was not called: end the loop at least
      io.stop();
      thread_.join();
    }
  }

  boost::asio::io_context io;

  /// @brief Starts running io. A handler must not throw; if one does (bad_alloc at worst),
  ///        @p on_error hears of it on the io thread and the loop goes on.
  void start(std::function<void(const std::exception&)> on_error) {
    thread_ = std::thread([this, on_error = std::move(on_error)] {
      while (true) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          on_error(e);
        }
      }
    });
  }

  /// @brief Runs @p f on the io thread and waits for its result.
  /// @throws std::logic_error "<name>: the proxy is closed" once stopped.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::lock_guard lock(api_);
    if (stopped_) throw std::logic_error(name_ + ": the proxy is closed");
    return on_io(std::move(f));
  }

  /// @brief As call(), but once stopped runs @p f directly: for reading state, which is
  ///        final by then.
  template <class F>
  auto peek(F f) -> decltype(f()) {
    std::lock_guard lock(api_);
    if (stopped_) return f();
    return on_io(std::move(f));
  }

  /// @brief Runs @p shutdown on the io thread, stops and joins it, then runs @p after on the
  ///        calling thread, all under the lock call() and peek() take, so that they see the
  ///        final state. Idempotent.
  /// @return false when it was stopped already (nothing run).
  bool stop(const std::function<void()>& shutdown, const std::function<void()>& after = {}) {
    std::lock_guard lock(api_);
    if (stopped_) return false;
    if (thread_.joinable()) {
      on_io([&shutdown] { shutdown(); });
      io.stop();
      thread_.join();
    } else {
      shutdown();  // never started: nothing runs io but us
    }
    if (after) after();
    stopped_ = true;
    return true;
  }

 private:
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  std::string name_;
  std::mutex api_;       ///< Serialises call(), peek() and stop().
  bool stopped_ = false;  ///< Guarded by api_.
  std::thread thread_;
};

}  // namespace failover6::fault
