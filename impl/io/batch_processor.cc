#include "io/batch_processor.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace failover6::io {

void SyncCommitter::start(Done done) {
  std::optional<std::string> error;
  try {
    store_.commit();
  } catch (const std::exception& e) {
    error = e.what();
  }
  done(std::move(error));
}

BatchProcessor::BatchProcessor(Handler handler, lease::LeaseStore& store, PacketIo& io,
                               Logger& log, std::size_t max_batch,
                               std::unique_ptr<Committer> committer)
    : handler_(std::move(handler)),
      io_(io),
      log_(log),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      committer_(committer ? std::move(committer) : std::make_unique<SyncCommitter>(store)) {}

std::size_t BatchProcessor::run_once(std::int64_t now) {
  std::size_t received = 0;
  bool changed = false;
  while (received < max_batch_ && io_.try_receive(slot_)) {
    ++received;
    try {
      server::Result r = handler_(slot_.datagram, now);
      changed = changed || r.needs_commit;
      if (r.reply) {
        if (r.needs_commit) {
          // Covered by the next commit to start: the one in flight, if any, took its records
          // before this change.
          replies_.push_back({std::move(*r.reply), slot_.socket, next_id_});
        } else {
          ++stats_.replies_immediate;
          send(*r.reply, slot_.socket);
        }
      }
    } catch (const std::exception& e) {
      // The server core must not throw on any input; if it does, this datagram is lost but
      // the service goes on. Whatever it changed before throwing is still committed with the
      // rest, and no reply claims it.
      ++stats_.handler_errors;
      changed = true;
      log_.log(Msg::F6D_HANDLER_ERROR, slot_.datagram.src.to_string(), slot_.datagram.sport,
               e.what());
    }
  }
  if (received > 0) {
    ++stats_.batches;
    stats_.datagrams += received;
    stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, received);
  }
  if (changed) {
    ++stats_.batches_changed;
    want_commit_ = true;
  }
  maybe_start();
  return received;
}

void BatchProcessor::when_durable(std::function<void()> fn) {
  std::uint64_t need = 0;
  if (committer_->dirty()) {
    need = next_id_;
    want_commit_ = true;
  } else if (in_flight_) {
    need = *in_flight_;
  } else if (callbacks_.empty()) {
    ++stats_.durable_callbacks;
    fn();
    return;
  }
  // In the order of the calls: never before a callback queued earlier.
  if (!callbacks_.empty()) need = std::max(need, callbacks_.back().commit);
  callbacks_.push_back({std::move(fn), need});
  maybe_start();
}

bool BatchProcessor::flush() {
  // commit_now() waits for the commit in flight and covers it, so that one's completion,
  // when it arrives, is stale.
  const std::uint64_t id = next_id_++;
  in_flight_.reset();
  want_commit_ = false;
  const auto since = std::chrono::steady_clock::now();
  std::optional<std::string> error;
  try {
    committer_->commit_now();
  } catch (const std::exception& e) {
    error = e.what();
  }
  record_latency(since);
  finish(id, error);
  if (!error) maybe_start();
  return !error;
}

void BatchProcessor::send(const server::Outbound& reply, std::size_t socket) {
  if (io_.send(reply, socket)) ++stats_.replies_sent;
  else ++stats_.send_failures;
}

void BatchProcessor::maybe_start() {
  if (!want_commit_ || in_flight_) return;
  want_commit_ = false;
  const std::uint64_t id = next_id_++;
  in_flight_ = id;
  in_flight_since_ = std::chrono::steady_clock::now();
  // A synchronous committer calls back before start() returns.
  committer_->start(
      [this, id](std::optional<std::string> error) { on_commit_done(id, error); });
}

void BatchProcessor::on_commit_done(std::uint64_t id, const std::optional<std::string>& error) {
  if (!in_flight_ || *in_flight_ != id) return;  // covered by a flush() meanwhile
  in_flight_.reset();
  record_latency(in_flight_since_);
  // Changes made while this commit ran want the next one, at once; a failure alone does not
  // start another (see the class comment).
  const bool new_changes = want_commit_;
  finish(id, error);
  if (!error || new_changes) maybe_start();
}

void BatchProcessor::finish(std::uint64_t id, const std::optional<std::string>& error) {
  if (!error) {
    ++stats_.commits;
    std::uint64_t released = 0;
    while (!replies_.empty() && replies_.front().commit <= id) {
      send(replies_.front().reply, replies_.front().socket);
      replies_.pop_front();
      ++released;
    }
    stats_.largest_commit = std::max(stats_.largest_commit, released);
    while (!callbacks_.empty() && callbacks_.front().commit <= id) {
      std::function<void()> fn = std::move(callbacks_.front().fn);
      callbacks_.pop_front();
      ++stats_.durable_callbacks;
      fn();
    }
    return;
  }
  ++stats_.commit_failures;
  std::size_t withheld = 0;
  while (!replies_.empty() && replies_.front().commit <= id) {
    replies_.pop_front();
    ++withheld;
  }
  stats_.replies_withheld += withheld;
  // The store keeps the changes; the callbacks wait for the commit that retries them.
  for (auto& c : callbacks_) {
    if (c.commit > id) break;
    c.commit = next_id_;
    want_commit_ = true;
  }
  log_.log(Msg::F6D_COMMIT_FAILED, withheld, *error);
}

void BatchProcessor::record_latency(std::chrono::steady_clock::time_point since) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - since)
                      .count();
  const auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(us, 0));
  stats_.commit_us_total += u;
  stats_.commit_us_max = std::max(stats_.commit_us_max, u);
}

}  // namespace failover6::io
