// The group-commit loop (io::BatchProcessor) against a scripted socket, a scripted store and a
// scripted server core: one commit per batch, replies only after it, none when it fails.
#include <boost/test/unit_test.hpp>
#include <deque>
#include <stdexcept>

#include "fakes.h"
#include "io/batch_processor.h"

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
  BOOST_TEST(sent_tags() == Tags({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(io.sent.at(2).socket == 1U);  // the reply leaves by the socket it came in on
  BOOST_TEST(io.sent.at(0).datagram.payload.at(1) == 0xAA);
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
