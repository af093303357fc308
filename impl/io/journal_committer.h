// failover6::io::JournalCommitter: writes and fdatasyncs the lease journal on a thread of its
// own, so the event loop goes on receiving and answering while a commit is on its way to disk.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "io/batch_processor.h"
#include "lease/journal_store.h"
#include "wire/buffer.h"

namespace failover6::io {

/// The Committer of failover6d with a persistent store (DESIGN.md "Stable storage").
///
/// start() runs on the loop thread: it takes the journal's pending records
/// (JournalStore::take_pending(), a buffer swap) and hands them to the commit thread, which
/// writes and fdatasyncs them (JournalStore::write_batch()) and then posts the completion to
/// the io_context. The in-memory lease index stays with the loop thread; the commit thread
/// touches only the journal file. One commit at a time (BatchProcessor never starts a second
/// before the first completed).
///
/// Destruction finishes the commit in flight, if any, and joins the thread; its completion is
/// still posted (destroy this before the io_context, and the journal after this).
class JournalCommitter final : public Committer {
 public:
  /// @param io where completions are posted; must outlive this object
  /// @param journal must outlive this object
  JournalCommitter(boost::asio::io_context& io, lease::JournalStore& journal);
  ~JournalCommitter() override;
  JournalCommitter(const JournalCommitter&) = delete;
  JournalCommitter& operator=(const JournalCommitter&) = delete;

  bool dirty() const override { return journal_.pending_bytes() > 0; }
  void start(Done done) override;
  /// JournalStore::commit() on the calling thread; it waits for the commit thread's batch.
  void commit_now() override { journal_.commit(); }

 private:
  void run();

  boost::asio::io_context& io_;
  lease::JournalStore& journal_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool has_job_ = false;     ///< job_ / done_ hold a commit to write
  bool stopping_ = false;
  wire::Bytes job_;          ///< the records to write
  Done done_;
  wire::Bytes spare_;        ///< a written buffer, handed back to take_pending() for reuse
  std::thread thread_;       ///< last: started once the members above exist
};

}  // namespace failover6::io
