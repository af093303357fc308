// The group-commit loop (io::BatchProcessor) against a scripted socket, a scripted store and a
// scripted server core: one commit per batch, replies only after it, none when it fails. Then
// the pipelined commit with a committer the test completes step by step (replies withheld
// until their commit completes, when_durable(), flush()), and the JournalCommitter's thread
// against a real journal.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "fakes.h"
#include "io/batch_processor.h"
#include "io/journal_committer.h"
#include "lease/journal_store.h"

using namespace failover6;
using namespace failover6::io;
using namespace failover6::io::test;

namespace {

/// What the scripted server core does with one datagram.
struct Step {
  bool reply = true;
  bool needs_commit = false;
  bool throws = false;
};

/// The fixture owns the script (no file-scope state), the fakes and the processor.
struct BatchFixture {
  FakePacketIo io;
  ScriptedStore store;
  CapturedLog captured;
  std::deque<Step> steps;
  std::vector<std::int64_t> seen_now;
  std::vector<wire::Bytes> seen_payloads;

  server::Result handle(const server::Datagram& d, std::int64_t now) {
    seen_now.push_back(now);
    seen_payloads.emplace_back(d.payload.begin(), d.payload.end());
    Step s = steps.empty() ? Step{} : steps.front();
    if (!steps.empty()) steps.pop_front();
    if (s.throws) throw std::logic_error("scripted failure");
    server::Result r;
    if (s.reply) {
      server::Outbound o;
      o.dst = d.src;
      o.dport = d.sport;
      o.payload = wire::Bytes(d.payload.begin(), d.payload.end());
      o.payload.push_back(0xAA);  // mark it as the reply to this datagram
      r.reply = std::move(o);
    } else {
      r.dropped = server::DropReason::Malformed;
    }
    r.needs_commit = s.needs_commit;
    return r;
  }

  BatchProcessor make(std::size_t max_batch = BatchProcessor::DEFAULT_MAX_BATCH) {
    return BatchProcessor(
        [this](const server::Datagram& d, std::int64_t now) { return handle(d, now); }, store, io,
        captured.log, max_batch);
  }

  void queue(std::uint8_t tag, std::size_t socket = 0) { io.queue({tag}, socket); }

  /// @return the tags (first octet) of the sent replies, in order.
  std::vector<std::uint8_t> sent_tags() const {
    std::vector<std::uint8_t> out;
    for (const auto& s : io.sent) out.push_back(s.datagram.payload.at(0));
    return out;
  }
};

using Tags = std::vector<std::uint8_t>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(batch_processor, BatchFixture)

BOOST_AUTO_TEST_CASE(nothing_waiting_is_no_batch) {
  auto b = make();
  BOOST_TEST(b.run_once(100) == 0U);
  BOOST_TEST(store.commit_calls == 0U);
  BOOST_TEST(b.stats().batches == 0U);
}

BOOST_AUTO_TEST_CASE(one_commit_for_the_whole_batch_then_every_reply) {
  steps = {{true, true}, {true, false}, {true, true}};
  queue(1);
  queue(2);
  queue(3, 1);
  auto b = make();
  BOOST_TEST(b.run_once(1000) == 3U);
  BOOST_TEST(store.commit_calls == 1U);
  // The reply that needs no commit leaves at once, the others after the batch's commit.
  BOOST_TEST(sent_tags() == Tags({2, 1, 3}), boost::test_tools::per_element());
  BOOST_TEST(io.sent.at(2).socket == 1U);  // the reply leaves by the socket it came in on
  BOOST_TEST(io.sent.at(0).datagram.payload.at(1) == 0xAA);
  BOOST_TEST(b.stats().replies_immediate == 1U);
  BOOST_TEST(b.stats().commits == 1U);
  BOOST_TEST(b.stats().replies_sent == 3U);
  BOOST_TEST(b.stats().batches == 1U);
  BOOST_TEST(b.stats().largest_batch == 3U);
}

BOOST_AUTO_TEST_CASE(no_commit_when_nothing_changed) {
  steps = {{true, false}, {false, false}};
  queue(1);
  queue(2);
  auto b = make();
  BOOST_TEST(b.run_once(1000) == 2U);
  BOOST_TEST(store.commit_calls == 0U);
  BOOST_TEST(sent_tags() == Tags({1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failed_commit_sends_no_reply_that_needed_it) {
  steps = {{true, true}, {true, false}, {true, true}};
  store.script = {false};
  queue(1);
  queue(2);
  queue(3);
  auto b = make();
  BOOST_TEST(b.run_once(1000) == 3U);
  BOOST_TEST(store.commit_calls == 1U);
  // Only the reply that promised nothing durable (an ADVERTISE, say) goes out.
  BOOST_TEST(sent_tags() == Tags({2}), boost::test_tools::per_element());
  BOOST_TEST(b.stats().commit_failures == 1U);
  BOOST_TEST(b.stats().replies_withheld == 2U);
  BOOST_TEST(b.stats().commits == 0U);
  BOOST_TEST(captured.count("F6D_COMMIT_FAILED") == 1U);
  BOOST_TEST(captured.lines.at(0).find("2 replies withheld: disk full") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(commit_failure_then_success_on_the_retransmission) {
  steps = {{true, true}, {true, true}};
  store.script = {false, true};
  auto b = make();
  queue(1);
  b.run_once(1000);
  BOOST_TEST(io.sent.empty());
  queue(1);  // the client retransmits
  b.run_once(1002);
  BOOST_TEST(sent_tags() == Tags({1}), boost::test_tools::per_element());
  BOOST_TEST(store.commits_ok == 1U);
}

BOOST_AUTO_TEST_CASE(batches_are_bounded) {
  for (std::uint8_t i = 0; i < 5; ++i) {
    queue(i);
    steps.push_back({true, true});
  }
  auto b = make(2);
  BOOST_TEST(b.run_once(1) == 2U);
  BOOST_TEST(io.inbox.size() == 3U);  // the rest waits for the next batch
  BOOST_TEST(b.run_once(2) == 2U);
  BOOST_TEST(b.run_once(3) == 1U);
  BOOST_TEST(b.run_once(4) == 0U);
  BOOST_TEST(store.commit_calls == 3U);
  BOOST_TEST(sent_tags() == Tags({0, 1, 2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_now_per_batch) {
  queue(1);
  queue(2);
  auto b = make();
  b.run_once(4242);
  BOOST_TEST(seen_now == std::vector<std::int64_t>({4242, 4242}), boost::test_tools::per_element());
  BOOST_TEST(seen_payloads.at(1) == wire::Bytes({2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_throwing_core_loses_only_that_datagram) {
  steps = {{true, false}, {true, false, true}, {true, false}};
  queue(1);
  queue(2);
  queue(3);
  auto b = make();
  BOOST_TEST(b.run_once(1) == 3U);
  BOOST_TEST(sent_tags() == Tags({1, 3}), boost::test_tools::per_element());
  BOOST_TEST(b.stats().handler_errors == 1U);
  BOOST_TEST(captured.count("F6D_HANDLER_ERROR") == 1U);
  // Whatever the core changed before throwing is made durable with the batch.
  BOOST_TEST(store.commit_calls == 1U);
}

BOOST_AUTO_TEST_CASE(refused_sends_are_counted) {
  steps = {{true, true}};
  queue(1);
  io.refuse_sends = true;
  auto b = make();
  b.run_once(1);
  BOOST_TEST(b.stats().send_failures == 1U);
  BOOST_TEST(b.stats().replies_sent == 0U);
  BOOST_TEST(store.commit_calls == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// A Committer the test drives: start() records the completion, complete() runs it (as the
/// io_context would run the posted completion), commit_now() follows a script.
struct StepCommitter : Committer {
  bool is_dirty = false;          ///< what dirty() reports; start() clears it
  std::deque<Done> started;       ///< completions of started commits, oldest first
  std::size_t starts = 0;
  std::size_t commit_now_calls = 0;
  std::deque<bool> commit_now_script;  ///< true = succeed; empty = succeed

  bool dirty() const override { return is_dirty; }
  void start(Done done) override {
    ++starts;
    is_dirty = false;
    started.push_back(std::move(done));
  }
  void commit_now() override {
    ++commit_now_calls;
    bool ok = commit_now_script.empty() || commit_now_script.front();
    if (!commit_now_script.empty()) commit_now_script.pop_front();
    if (!ok) throw std::runtime_error("disk full");
    is_dirty = false;
  }
  /// Completes the oldest started commit (std::nullopt: success).
  void complete(std::optional<std::string> error = std::nullopt) {
    BOOST_REQUIRE(!started.empty());
    Done d = std::move(started.front());
    started.pop_front();
    d(std::move(error));
  }
};

struct PipeFixture : BatchFixture {
  StepCommitter* committer = nullptr;  ///< owned by the processor made by pipe()
  std::vector<int> events;             ///< when_durable() callbacks that ran, in order

  BatchProcessor pipe() {
    auto c = std::make_unique<StepCommitter>();
    committer = c.get();
    return BatchProcessor(
        [this](const server::Datagram& d, std::int64_t now) {
          server::Result r = handle(d, now);
          if (r.needs_commit) committer->is_dirty = true;  // the store now holds a change
          return r;
        },
        store, io, captured.log, BatchProcessor::DEFAULT_MAX_BATCH, std::move(c));
  }
  /// @return a callback that records @p n in events.
  std::function<void()> mark(int n) {
    return [this, n] { events.push_back(n); };
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(pipelined_commit, PipeFixture)

BOOST_AUTO_TEST_CASE(replies_needing_a_commit_wait_until_it_completes) {
  steps = {{true, true}, {true, false}, {true, true}};
  queue(1);
  queue(2);
  queue(3, 1);
  auto b = pipe();
  BOOST_TEST(b.run_once(1000) == 3U);
  // The ADVERTISE-like reply is out; the two that grant leases wait for the commit.
  BOOST_TEST(sent_tags() == Tags({2}), boost::test_tools::per_element());
  BOOST_TEST(committer->starts == 1U);
  BOOST_TEST(b.committing());
  BOOST_TEST(b.waiting() == 2U);
  committer->complete();
  BOOST_TEST(sent_tags() == Tags({2, 1, 3}), boost::test_tools::per_element());
  BOOST_TEST(io.sent.at(2).socket == 1U);
  BOOST_TEST(!b.committing());
  BOOST_TEST(b.waiting() == 0U);
  BOOST_TEST(b.stats().commits == 1U);
  BOOST_TEST(b.stats().replies_immediate == 1U);
  BOOST_TEST(b.stats().replies_sent == 3U);
  BOOST_TEST(b.stats().largest_commit == 2U);
  BOOST_TEST(committer->starts == 1U);  // nothing changed since: no second commit
}

BOOST_AUTO_TEST_CASE(the_loop_goes_on_while_a_commit_is_in_flight) {
  steps = {{true, true}, {true, true}, {true, false}, {true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  BOOST_TEST(committer->starts == 1U);
  queue(2);
  queue(3);
  b.run_once(1);
  queue(4);
  b.run_once(2);
  // One commit at a time: 2 and 4 wait for the next one, 3 needed none.
  BOOST_TEST(committer->starts == 1U);
  BOOST_TEST(sent_tags() == Tags({3}), boost::test_tools::per_element());
  committer->complete();
  // Only 1 was covered by the first commit (2 and 4 were made after it started)...
  BOOST_TEST(sent_tags() == Tags({3, 1}), boost::test_tools::per_element());
  // ... and the next commit, covering both later batches, started at once.
  BOOST_TEST(committer->starts == 2U);
  committer->complete();
  BOOST_TEST(sent_tags() == Tags({3, 1, 2, 4}), boost::test_tools::per_element());
  BOOST_TEST(b.stats().batches_changed == 3U);
  BOOST_TEST(b.stats().commits == 2U);
  BOOST_TEST(b.stats().largest_commit == 2U);
  BOOST_TEST(b.run_once(3) == 0U);
  BOOST_TEST(committer->starts == 2U);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_withholds_only_its_replies) {
  steps = {{true, true}, {true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  queue(2);
  b.run_once(1);
  committer->complete("disk full");
  BOOST_TEST(io.sent.empty());
  BOOST_TEST(b.stats().commit_failures == 1U);
  BOOST_TEST(b.stats().replies_withheld == 1U);
  BOOST_TEST(captured.count("F6D_COMMIT_FAILED") == 1U);
  BOOST_TEST(captured.lines.back().find("1 replies withheld: disk full") != std::string::npos);
  // 2 was made while the failed commit ran: the next commit starts at once and retries all.
  BOOST_TEST(committer->starts == 2U);
  committer->complete();
  BOOST_TEST(sent_tags() == Tags({2}), boost::test_tools::per_element());
  BOOST_TEST(b.stats().commits == 1U);
}

BOOST_AUTO_TEST_CASE(a_failure_alone_starts_no_commit) {
  steps = {{true, true}, {true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  committer->complete("disk full");
  BOOST_TEST(committer->starts == 1U);  // no retry loop against a failing disk
  BOOST_TEST(b.run_once(2) == 0U);
  BOOST_TEST(committer->starts == 1U);
  queue(1);  // the client retransmits
  b.run_once(3);
  BOOST_TEST(committer->starts == 2U);
  committer->complete();
  BOOST_TEST(sent_tags() == Tags({1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(when_durable_runs_at_once_when_nothing_is_pending) {
  auto b = pipe();
  b.when_durable(mark(1));
  BOOST_TEST(events == std::vector<int>({1}), boost::test_tools::per_element());
  BOOST_TEST(committer->starts == 0U);
  BOOST_TEST(b.stats().durable_callbacks == 1U);
}

BOOST_AUTO_TEST_CASE(when_durable_starts_a_commit_for_pending_changes) {
  auto b = pipe();
  committer->is_dirty = true;  // e.g. a BNDUPD's lease put into the store
  b.when_durable(mark(1));
  BOOST_TEST(events.empty());
  BOOST_TEST(committer->starts == 1U);
  committer->complete();
  BOOST_TEST(events == std::vector<int>({1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(when_durable_waits_for_the_commit_in_flight_after_its_replies) {
  steps = {{true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  // Every change so far is in the commit in flight: no second commit is needed.
  std::size_t sent_when_run = 99;
  b.when_durable([&] { sent_when_run = io.sent.size(); });
  BOOST_TEST(committer->starts == 1U);
  BOOST_TEST(sent_when_run == 99U);
  committer->complete();
  BOOST_TEST(sent_when_run == 1U);  // the reply released by the same commit went first
  BOOST_TEST(committer->starts == 1U);
}

BOOST_AUTO_TEST_CASE(when_durable_after_a_later_change_waits_for_the_next_commit) {
  steps = {{true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  committer->is_dirty = true;  // changed after the commit in flight took its records
  b.when_durable(mark(1));
  committer->complete();
  BOOST_TEST(events.empty());
  BOOST_TEST(committer->starts == 2U);
  committer->complete();
  BOOST_TEST(events == std::vector<int>({1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(when_durable_callbacks_run_in_the_order_of_the_calls) {
  steps = {{true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  b.when_durable(mark(1));     // covered by the commit in flight
  committer->is_dirty = true;
  b.when_durable(mark(2));     // needs the next commit
  b.when_durable(mark(3));     // nothing new changed, but it may not overtake 2
  committer->complete();
  BOOST_TEST(events == std::vector<int>({1}), boost::test_tools::per_element());
  committer->complete();
  BOOST_TEST(events == std::vector<int>({1, 2, 3}), boost::test_tools::per_element());
  b.when_durable(mark(4));
  BOOST_TEST(events.size() == 4U);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_keeps_the_callbacks_for_the_next_one) {
  auto b = pipe();
  committer->is_dirty = true;
  b.when_durable(mark(1));
  committer->is_dirty = true;  // a failed commit leaves the changes in the store
  committer->complete("disk full");
  BOOST_TEST(events.empty());
  BOOST_TEST(captured.count("F6D_COMMIT_FAILED") == 1U);
  BOOST_TEST(committer->starts == 1U);
  b.when_durable(mark(2));  // the next request for durability retries
  BOOST_TEST(committer->starts == 2U);
  committer->complete();
  BOOST_TEST(events == std::vector<int>({1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(flush_commits_and_answers_everything_waiting) {
  steps = {{true, true}, {true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  queue(2);
  b.run_once(1);
  committer->is_dirty = true;
  b.when_durable(mark(1));
  BOOST_TEST(b.flush());
  BOOST_TEST(committer->commit_now_calls == 1U);
  BOOST_TEST(sent_tags() == Tags({1, 2}), boost::test_tools::per_element());
  BOOST_TEST(events == std::vector<int>({1}), boost::test_tools::per_element());
  BOOST_TEST(!b.committing());
  // The commit that was in flight completes later: it is stale and changes nothing.
  committer->complete();
  BOOST_TEST(io.sent.size() == 2U);
  BOOST_TEST(b.stats().commits == 1U);
  BOOST_TEST(committer->starts == 1U);
}

BOOST_AUTO_TEST_CASE(a_failed_flush_withholds_the_waiting_replies) {
  steps = {{true, true}, {true, false}};
  auto b = pipe();
  queue(1);
  queue(2);
  b.run_once(1);
  committer->commit_now_script = {false};
  BOOST_TEST(!b.flush());
  BOOST_TEST(sent_tags() == Tags({2}), boost::test_tools::per_element());
  BOOST_TEST(b.stats().replies_withheld == 1U);
  BOOST_TEST(captured.count("F6D_COMMIT_FAILED") == 1U);
  committer->complete();  // stale
  BOOST_TEST(io.sent.size() == 1U);
}

BOOST_AUTO_TEST_CASE(commit_latency_is_measured) {
  steps = {{true, true}};
  auto b = pipe();
  queue(1);
  b.run_once(1);
  committer->complete();
  // Measured between two steady_clock readings: no bound can be asserted but monotonicity.
  BOOST_TEST(b.stats().commit_us_max <= b.stats().commit_us_total);
  BOOST_TEST(b.stats().commits == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// A fresh directory per test, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/failover6-commit-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

lease::Lease lease_n(int n, std::uint32_t valid) {
  lease::Lease l;
  l.key.type = lease::LeaseType::Na;
  l.key.address = wire::Address::from_string("2001:db8:1::1000");
  l.key.address.bytes[15] = static_cast<std::uint8_t>(n);
  l.key.prefix_length = 128;
  l.duid.raw = {0, 3, 0, 1, 2, 0, 0, 0, 0, static_cast<std::uint8_t>(n)};
  l.iaid = static_cast<std::uint32_t>(n);
  l.subnet_id = 1;
  l.state = wire::BindingStatus::Active;
  l.valid = valid;
  l.preferred = valid / 2;
  return l;
}

/// Runs @p io until @p done or 10 s have passed (a bounded wait on a real event).
void run_until(boost::asio::io_context& io, const bool& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal_committer)

BOOST_AUTO_TEST_CASE(commits_on_its_thread_and_completes_on_the_loop) {
  TempDir d;
  const std::string path = (d.path / "j").string();
  {
    boost::asio::io_context io;
    lease::JournalStore journal(path);
    JournalCommitter c(io, journal);
    BOOST_TEST(!c.dirty());
    journal.put(lease_n(1, 100));
    BOOST_TEST(c.dirty());
    bool done = false;
    std::optional<std::string> error = "not called";
    c.start([&](std::optional<std::string> e) {
      done = true;
      error = std::move(e);
    });
    BOOST_TEST(!c.dirty());  // the records were handed to the commit thread
    BOOST_TEST(!done);       // completions arrive through the io_context only
    run_until(io, done);
    BOOST_REQUIRE(done);
    BOOST_TEST(!error.has_value());
    BOOST_TEST(journal.commits() == 1U);
  }
  lease::JournalStore reopened(path);
  BOOST_TEST(reopened.size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_synchronous_commit_keeps_the_order_of_the_changes) {
  TempDir d;
  const std::string path = (d.path / "j").string();
  {
    boost::asio::io_context io;
    lease::JournalStore journal(path);
    JournalCommitter c(io, journal);
    journal.put(lease_n(1, 100));
    bool done = false;
    c.start([&](std::optional<std::string>) { done = true; });
    // The same lease changed again and committed synchronously (as the expiry timer or
    // shutdown do) while the first commit may still be queued on the commit thread: the
    // journal must end with the second version, whatever the timing.
    journal.put(lease_n(1, 200));
    c.commit_now();
    BOOST_TEST(journal.pending_bytes() == 0U);
    run_until(io, done);
    BOOST_TEST(done);
  }
  lease::JournalStore reopened(path);
  BOOST_REQUIRE(reopened.find(lease_n(1, 0).key));
  BOOST_TEST(reopened.find(lease_n(1, 0).key)->valid == 200U);
}

BOOST_AUTO_TEST_CASE(replies_go_out_after_the_journal_commit) {
  TempDir d;
  boost::asio::io_context io;
  lease::JournalStore journal((d.path / "j").string());
  FakePacketIo pio;
  CapturedLog captured;
  int n = 0;
  BatchProcessor b(
      [&](const server::Datagram& dg, std::int64_t) {
        journal.put(lease_n(++n, 100));
        server::Result r;
        server::Outbound o;
        o.dst = dg.src;
        o.payload = {1};
        r.reply = o;
        r.needs_commit = true;
        return r;
      },
      journal, pio, captured.log, BatchProcessor::DEFAULT_MAX_BATCH,
      std::make_unique<JournalCommitter>(io, journal));
  pio.queue({1});
  pio.queue({2});
  b.run_once(1);
  BOOST_TEST(pio.sent.empty());
  BOOST_TEST(b.committing());
  bool durable = false;
  b.when_durable([&] { durable = true; });
  run_until(io, durable);
  BOOST_TEST(durable);
  BOOST_TEST(pio.sent.size() == 2U);
  BOOST_TEST(journal.commits() == 1U);
  BOOST_TEST(journal.pending_bytes() == 0U);
  BOOST_TEST(b.flush());
}

BOOST_AUTO_TEST_SUITE_END()
