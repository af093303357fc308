// IPv6 fragment reassembly through FrameDecoder: order, duplicates, overlaps, incomplete
// sets, limits and what follows the fragment header.
#include <pcap/pcap.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "frame_builder.h"
#include "trace/frame_decoder.h"

namespace failover6::trace::test {
namespace {

const wire::Address A = addr("2001:db8::a");
const wire::Address B = addr("2001:db8::b");
constexpr std::int64_t T0 = 1'700'000'000'000'000'000;
constexpr std::int64_t SECOND = 1'000'000'000;

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

/// An IPv6 packet carrying bytes [offset, offset + len) of @p whole as one fragment.
Bytes fragment(const Bytes& whole, std::size_t offset, std::size_t len, bool more, std::uint32_t id,
               std::uint8_t nh = 17, const wire::Address& src = A) {
  const Bytes part(whole.begin() + static_cast<std::ptrdiff_t>(offset),
                   whole.begin() + static_cast<std::ptrdiff_t>(offset + len));
  return ipv6(src, B, 44,
              cat(fragment_header(nh, static_cast<std::uint32_t>(offset), more, id), part));
}

/// @p whole cut into fragments of @p size octets.
std::vector<Bytes> split(const Bytes& whole, std::size_t size, std::uint32_t id,
                         std::uint8_t nh = 17) {
  std::vector<Bytes> out;
  for (std::size_t off = 0; off < whole.size(); off += size) {
    const std::size_t len = std::min(size, whole.size() - off);
    out.push_back(fragment(whole, off, len, off + len < whole.size(), id, nh));
  }
  return out;
}

struct Fixture {
  explicit Fixture(ReaderOptions o = {}) : d(DLT_RAW, o) {}
  /// Feeds @p frame; returns true when a packet came out (copied to payload).
  bool feed(const Bytes& frame, std::int64_t t = T0) {
    if (!d.decode(frame, ++n, t, p)) return false;
    payload.assign(p.payload.begin(), p.payload.end());
    ++yielded;
    return true;
  }
  const ReaderStats& stats() const { return d.stats(); }
  FrameDecoder d;
  Packet p;
  Bytes payload;
  std::uint64_t n = 0;
  int yielded = 0;
};

const Bytes PAYLOAD = pattern(100);
const Bytes DATAGRAM = udp(546, 547, PAYLOAD);  // 108 octets: fragments 32+32+32+12.

}  // namespace

BOOST_AUTO_TEST_SUITE(fragment_reassembly)

BOOST_AUTO_TEST_CASE(in_order_reversed_and_shuffled) {
  const auto frags = split(DATAGRAM, 32, 77);
  BOOST_TEST_REQUIRE(frags.size() == 4U);
  const std::vector<std::vector<int>> orders = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}};
  for (const auto& order : orders) {
    BOOST_TEST_CONTEXT("order " << order[0] << order[1] << order[2] << order[3]) {
      Fixture f;
      for (std::size_t i = 0; i < order.size(); ++i) {
        const bool out =
            f.feed(frags[static_cast<std::size_t>(order[i])], T0 + static_cast<std::int64_t>(i));
        BOOST_TEST(out == (i + 1 == order.size()));
      }
      BOOST_TEST((f.payload == PAYLOAD));
      BOOST_TEST(f.p.reassembled);
      BOOST_TEST(f.p.frame == 4U);        // The completing fragment's frame...
      BOOST_TEST(f.p.time_ns == T0 + 3);  // ...and its time.
      BOOST_TEST((f.p.src == A));
      BOOST_TEST(f.p.sport == 546);
      BOOST_TEST(f.stats().fragments == 4U);
      BOOST_TEST(f.stats().reassembled == 1U);
      BOOST_TEST(f.stats().udp_matched == 1U);
      f.d.finish();
      BOOST_TEST(f.stats().fragments_incomplete == 0U);
      BOOST_TEST(accounted(f.stats()) == f.stats().frames + f.stats().reassembled);
    }
  }
}

BOOST_AUTO_TEST_CASE(exact_duplicates_are_ignored) {
  const auto frags = split(DATAGRAM, 32, 5);
  Fixture f;
  f.feed(frags[1]);
  f.feed(frags[1]);
  f.feed(frags[0]);
  f.feed(frags[3]);
  f.feed(frags[0]);
  BOOST_TEST(f.yielded == 0);
  BOOST_TEST(f.feed(frags[2]));
  BOOST_TEST((f.payload == PAYLOAD));
  BOOST_TEST(!f.feed(frags[3]));  // A late duplicate starts a set that never completes.
  f.d.finish();
  BOOST_TEST(f.stats().fragments_overlapping == 0U);
  BOOST_TEST(f.stats().fragments_incomplete == 1U);
}

BOOST_AUTO_TEST_CASE(overlapping_fragments_drop_the_datagram) {
  // RFC 5722: [0,32) and [24,56) overlap without being duplicates.
  Fixture f;
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 0, 32, true, 1)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 24, 32, true, 1)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 56, 52, false, 1)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 32, 24, true, 1)));
  BOOST_TEST(f.yielded == 0);
  BOOST_TEST(f.stats().fragments_overlapping == 1U);
  // Same offset, different length: also an overlap.
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 0, 32, true, 2)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 0, 48, true, 2)));
  // Two last fragments that disagree on the end.
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 64, 44, false, 3)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 64, 40, false, 3)));
  // Data beyond the end a last fragment announced.
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 16, 16, false, 4)));
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 32, 32, true, 4)));
  BOOST_TEST(f.stats().fragments_overlapping == 4U);
  f.d.finish();
  BOOST_TEST(f.yielded == 0);
  // Poisoned sets are counted once, as overlapping, not again as incomplete.
  BOOST_TEST(f.stats().fragments_incomplete == 0U);
  // The drop did not disturb an unrelated datagram.
  Fixture g;
  for (const auto& fr : split(DATAGRAM, 32, 9)) g.feed(fr);
  BOOST_TEST(g.yielded == 1);
}

BOOST_AUTO_TEST_CASE(incomplete_set_counted_at_end) {
  const auto frags = split(DATAGRAM, 32, 11);
  Fixture f;
  f.feed(frags[0]);
  f.feed(frags[1]);
  f.feed(frags[3]);
  BOOST_TEST(f.yielded == 0);
  BOOST_TEST(f.stats().fragments_incomplete == 0U);
  f.d.finish();
  BOOST_TEST(f.stats().fragments_incomplete == 1U);
  BOOST_TEST(f.stats().reassembled == 0U);
}

BOOST_AUTO_TEST_CASE(incomplete_set_times_out) {
  ReaderOptions o;
  o.fragment_timeout_ns = SECOND;
  Fixture f(o);
  const auto one = split(DATAGRAM, 32, 1);
  const auto two = split(DATAGRAM, 32, 2);
  f.feed(one[0], T0);
  f.feed(two[0], T0 + 2 * SECOND);  // Set 1 is now older than the timeout.
  BOOST_TEST(f.stats().fragments_incomplete == 1U);
  f.feed(one[1], T0 + 2 * SECOND);  // Starts a fresh set: the first part is gone.
  f.feed(one[2], T0 + 2 * SECOND);
  BOOST_TEST(!f.feed(one[3], T0 + 2 * SECOND));
  // Within the timeout, set 2 completes.
  f.feed(two[1], T0 + 2 * SECOND + SECOND / 2);
  f.feed(two[2], T0 + 2 * SECOND + SECOND / 2);
  BOOST_TEST(f.feed(two[3], T0 + 2 * SECOND + SECOND / 2));
  f.d.finish();
  BOOST_TEST(f.stats().fragments_incomplete == 2U);
}

BOOST_AUTO_TEST_CASE(oldest_set_evicted_beyond_the_limit) {
  ReaderOptions o;
  o.max_fragment_sets = 2;
  Fixture f(o);
  std::vector<std::vector<Bytes>> sets;
  for (std::uint32_t id = 1; id <= 3; ++id) sets.push_back(split(DATAGRAM, 32, id));
  for (std::size_t s = 0; s < 3; ++s) f.feed(sets[s][0], T0 + static_cast<std::int64_t>(s));
  BOOST_TEST(f.stats().fragments_incomplete == 1U);  // Set 1 made room for set 3.
  for (std::size_t s = 1; s < 3; ++s)
    for (std::size_t i = 1; i < 4; ++i) f.feed(sets[s][i], T0 + 10);
  BOOST_TEST(f.yielded == 2);
  BOOST_TEST(f.stats().reassembled == 2U);
}

BOOST_AUTO_TEST_CASE(interleaved_datagrams_by_source_and_id) {
  Fixture f;
  const Bytes other = udp(547, 546, pattern(40));
  const auto a = split(DATAGRAM, 32, 1);
  std::vector<Bytes> b;
  for (std::size_t off = 0; off < other.size(); off += 32) {
    const std::size_t len = std::min<std::size_t>(32, other.size() - off);
    b.push_back(fragment(other, off, len, off + len < other.size(), 1, 17, addr("2001:db8::c")));
  }
  f.feed(a[0]);
  f.feed(b[1]);
  f.feed(a[1]);
  f.feed(a[2]);
  BOOST_TEST(f.feed(b[0]));
  BOOST_TEST(f.p.sport == 547);
  BOOST_TEST((f.p.src == addr("2001:db8::c")));
  BOOST_TEST(f.feed(a[3]));
  BOOST_TEST((f.payload == PAYLOAD));
}

BOOST_AUTO_TEST_CASE(bad_fragment_geometry_is_malformed) {
  Fixture f;
  BOOST_TEST(!f.feed(fragment(DATAGRAM, 0, 12, true, 1)));  // Not a multiple of 8.
  BOOST_TEST(!f.feed(ipv6(A, B, 44, cat(fragment_header(17, 65528, false, 1), Bytes(16, 0)))));
  BOOST_TEST(!f.feed(ipv6(A, B, 44, fragment_header(17, 8, true, 1))));  // Empty.
  BOOST_TEST(!f.feed(ipv6(A, B, 44, Bytes{17, 0, 0})));                  // Header cut short.
  BOOST_TEST(f.stats().malformed == 4U);
  BOOST_TEST(f.stats().fragments == 0U);
}

BOOST_AUTO_TEST_CASE(headers_after_the_fragment_header) {
  // The fragmentable part starts with destination options, then UDP.
  Fixture f;
  const Bytes whole = cat(ext_header(17, 1), DATAGRAM);
  const auto frags = split(whole, 64, 3, 60);
  BOOST_TEST_REQUIRE(frags.size() == 2U);
  f.feed(frags[1]);
  BOOST_TEST(f.feed(frags[0]));
  BOOST_TEST((f.payload == PAYLOAD));
  // A fragment header inside a reassembled datagram is not accepted.
  const Bytes nested = cat(fragment_header(17, 0, true, 4), DATAGRAM);
  const auto n = split(nested, 64, 4, 44);
  f.feed(n[0]);
  BOOST_TEST(!f.feed(n[1]));
  BOOST_TEST(f.stats().malformed == 1U);
}

BOOST_AUTO_TEST_CASE(fragmented_tcp_and_large_datagram) {
  Fixture f;
  const Bytes seg = tcp(647, 50000, 1, 2, 0x18, pattern(3000));
  const auto frags = split(seg, 1232, 8, 6);
  for (const auto& fr : frags) f.feed(fr);
  BOOST_TEST_REQUIRE(f.yielded == 1);
  BOOST_TEST((f.p.proto == Packet::Proto::Tcp));
  BOOST_TEST((f.payload == pattern(3000)));
  // The largest datagram an IPv6 payload length allows.
  const Bytes big = udp(546, 547, pattern(65535 - 8 - 8));
  const auto bf = split(big, 1448, 9);
  std::size_t out = 0;
  for (auto it = bf.rbegin(); it != bf.rend(); ++it) out += f.feed(*it) ? 1 : 0;
  BOOST_TEST(out == 1U);
  BOOST_TEST(f.payload.size() == 65535U - 16U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace failover6::trace::test
