#include "io/batch_processor.h"

#include <exception>
#include <utility>

namespace failover6::io {

BatchProcessor::BatchProcessor(Handler handler, lease::LeaseStore& store, PacketIo& io,
                               Logger& log, std::size_t max_batch)
    : handler_(std::move(handler)),
      store_(store),
      io_(io),
      log_(log),
      max_batch_(max_batch == 0 ? 1 : max_batch) {
  pending_.reserve(max_batch_);
}

std::size_t BatchProcessor::run_once(std::int64_t now) {
  pending_.clear();
  std::size_t received = 0;
  bool needs_commit = false;
  while (received < max_batch_ && io_.try_receive(slot_)) {
    ++received;
    try {
      server::Result r = handler_(slot_.datagram, now);
      needs_commit = needs_commit || r.needs_commit;
      if (r.reply) pending_.push_back({std::move(*r.reply), slot_.socket, r.needs_commit});
    } catch (const std::exception& e) {
      // The server core must not throw on any input; if it does, this datagram is lost but
      // the service goes on. Whatever it changed before throwing is still committed below
      // with the rest of the batch, and no reply claims it.
      ++stats_.handler_errors;
      needs_commit = true;
      log_.log(Msg::F6D_HANDLER_ERROR, slot_.datagram.src.to_string(), slot_.datagram.sport,
               e.what());
    }
  }
  if (received == 0) return 0;
  ++stats_.batches;
  stats_.datagrams += received;
  if (received > stats_.largest_batch) stats_.largest_batch = received;

  bool committed = true;
  if (needs_commit) {
    try {
      store_.commit();
      ++stats_.commits;
    } catch (const std::exception& e) {
      committed = false;
      ++stats_.commit_failures;
      std::size_t withheld = 0;
      for (const auto& p : pending_) withheld += p.needs_commit ? 1 : 0;
      log_.log(Msg::F6D_COMMIT_FAILED, withheld, e.what());
    }
  }
  for (const auto& p : pending_) {
    if (p.needs_commit && !committed) {
      ++stats_.replies_withheld;
      continue;
    }
    if (io_.send(p.reply, p.socket)) ++stats_.replies_sent;
    else ++stats_.send_failures;
  }
  pending_.clear();
  return received;
}

}  // namespace failover6::io
