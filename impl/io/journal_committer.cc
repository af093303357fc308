#include "io/journal_committer.h"

#include <boost/asio/post.hpp>
#include <exception>
#include <utility>

namespace failover6::io {

JournalCommitter::JournalCommitter(boost::asio::io_context& io, lease::JournalStore& journal)
    : io_(io), journal_(journal), thread_([this] { run(); }) {}

JournalCommitter::~JournalCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void JournalCommitter::start(Done done) {
  {
    std::lock_guard lock(mutex_);
    wire::Bytes records = std::move(spare_);
    journal_.take_pending(records);
    job_ = std::move(records);
    done_ = std::move(done);
    has_job_ = true;
  }
  cv_.notify_one();
}

void JournalCommitter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return has_job_ || stopping_; });
    if (!has_job_) return;  // stopping, nothing left to write
    wire::Bytes records = std::move(job_);
    Done done = std::move(done_);
    has_job_ = false;
    lock.unlock();
    std::optional<std::string> error;
    try {
      journal_.write_batch(records);
    } catch (const std::exception& e) {
      error = e.what();
    }
    boost::asio::post(io_, [done = std::move(done), error = std::move(error)]() mutable {
      done(std::move(error));
    });
    lock.lock();
    spare_ = std::move(records);
  }
}

}  // namespace failover6::io
