// One generic suite, every LeaseStore (STYLE.md rule 9), then the journal's own durability and
// recovery behaviour.
#include <unistd.h>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "lease/journal_store.h"
#include "lease/lease_store.h"

using namespace failover6;
using namespace failover6::lease;
namespace fs = std::filesystem;

namespace {

/// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/failover6-lease-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Lease make_lease(int n, LeaseType type = LeaseType::Na) {
  Lease l;
  l.key.type = type;
  l.key.address = wire::Address::from_string("2001:db8:1::1000");
  l.key.address.bytes[15] = static_cast<std::uint8_t>(n);
  l.key.address.bytes[14] = static_cast<std::uint8_t>(n >> 8);
  l.key.prefix_length = type == LeaseType::Pd ? 56 : 128;
  std::uint8_t mac[6] = {2, 0, 0, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  l.duid = wire::Duid::ll(1, wire::ByteView(mac, 6));
  l.iaid = static_cast<std::uint32_t>(n % 3);
  l.subnet_id = 1;
  l.state = wire::BindingStatus::Active;
  l.start_time_of_state = 1'800'000'000 + n;
  l.state_expiration_time = 1'800'004'000 + n;
  l.preferred = 3000;
  l.valid = 4000;
  l.t1 = 1000;
  l.t2 = 2000;
  l.cltt = 1'800'000'000 + n;
  l.expiration_time = 1'800'009'000;
  l.acked_partner_lifetime = 1'800'008'000;
  l.partner_lifetime = 1'800'010'000;
  l.partner_raw_cltt = 1'799'999'000;
  l.hostname = "host-" + std::to_string(n);
  return l;
}

struct MemoryFactory {
  std::unique_ptr<LeaseStore> make() { return std::make_unique<MemoryStore>(); }
};
struct JournalFactory {
  TempDir dir;
  std::unique_ptr<LeaseStore> make() {
    return std::make_unique<JournalStore>((dir.path / "leases6.journal").string());
  }
};
using Factories = boost::mpl::list<MemoryFactory, JournalFactory>;

}  // namespace

BOOST_AUTO_TEST_SUITE(lease_store_generic)

BOOST_AUTO_TEST_CASE_TEMPLATE(put_find_replace_remove, F, Factories) {
  F f;
  auto s = f.make();
  Lease a = make_lease(1);
  s->put(a);
  BOOST_REQUIRE(s->find(a.key));
  BOOST_TEST((*s->find(a.key) == a));
  a.valid = 9999;
  s->put(a);
  BOOST_TEST(s->size() == 1U);
  BOOST_TEST(s->find(a.key)->valid == 9999U);
  BOOST_TEST(s->remove(a.key));
  BOOST_TEST(!s->remove(a.key));
  BOOST_TEST(!s->find(a.key));
  BOOST_TEST(s->size() == 0U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(lookups_by_client_and_duid, F, Factories) {
  F f;
  auto s = f.make();
  Lease na = make_lease(3, LeaseType::Na);
  Lease pd = make_lease(3, LeaseType::Pd);
  Lease other = make_lease(4);
  for (const auto& l : {na, pd, other}) s->put(l);
  BOOST_TEST(s->find_duid(na.duid).size() == 2U);
  auto c = s->find_client(na.client());
  BOOST_REQUIRE(c.size() == 1U);
  BOOST_TEST((*c[0] == na));
  BOOST_TEST(s->find_client(pd.client()).size() == 1U);
  // A lease that moves to another client leaves the first client's index.
  Lease moved = na;
  moved.duid = other.duid;
  s->put(moved);
  BOOST_TEST(s->find_duid(na.duid).size() == 1U);
  BOOST_TEST(s->find_duid(other.duid).size() == 2U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(meta_values, F, Factories) {
  F f;
  auto s = f.make();
  BOOST_TEST(!s->get_meta("state"));
  s->put_meta("state", "NORMAL");
  s->put_meta("state", "PARTNER-DOWN");
  BOOST_TEST(*s->get_meta("state") == "PARTNER-DOWN");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(for_each_in_key_order, F, Factories) {
  F f;
  auto s = f.make();
  for (int n : {5, 1, 3}) s->put(make_lease(n));
  std::vector<int> seen;
  s->for_each([&](const Lease& l) { seen.push_back(l.key.address.bytes[15]); });
  BOOST_TEST(seen == (std::vector<int>{1, 3, 5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(journal_store)

BOOST_AUTO_TEST_CASE(restart_restores_every_committed_lease) {
  TempDir d;
  auto path = (d.path / "j").string();
  std::vector<Lease> leases;
  {
    JournalStore s(path);
    BOOST_TEST(s.recovery().created);
    for (int i = 0; i < 200; ++i) {
      leases.push_back(make_lease(i, i % 2 ? LeaseType::Pd : LeaseType::Na));
      s.put(leases.back());
      if (i % 50 == 49) s.commit();  // group commit: 4 fdatasyncs for 200 leases
    }
    s.remove(leases[7].key);
    s.put_meta("failover.state", "NORMAL");
    s.commit();
    BOOST_TEST(s.commits() == 5U);
  }
  JournalStore s(path);
  BOOST_TEST(!s.recovery().torn_tail);
  BOOST_TEST(s.size() == 199U);
  for (std::size_t i = 0; i < leases.size(); ++i) {
    if (i == 7) BOOST_TEST(!s.find(leases[i].key));
    else BOOST_TEST((s.find(leases[i].key) && *s.find(leases[i].key) == leases[i]));
  }
  BOOST_TEST(*s.get_meta("failover.state") == "NORMAL");
}

BOOST_AUTO_TEST_CASE(uncommitted_changes_are_not_durable) {
  TempDir d;
  auto path = (d.path / "j").string();
  {
    JournalStore s(path);
    s.put(make_lease(1));
    s.commit();
    s.put(make_lease(2));
    BOOST_TEST(s.pending_bytes() > 0U);
  }
  JournalStore s(path);
  BOOST_TEST(s.size() == 1U);
}

BOOST_AUTO_TEST_CASE(torn_tail_is_truncated_with_a_warning) {
  TempDir d;
  auto path = (d.path / "j").string();
  std::uint64_t good_size = 0;
  {
    JournalStore s(path);
    s.put(make_lease(1));
    s.commit();
    good_size = s.file_bytes();
    s.put(make_lease(2));
    s.commit();
  }
  // A crash in the middle of the second record's write: keep half of it.
  auto full = fs::file_size(path);
  fs::resize_file(path, good_size + (full - good_size) / 2);
  {
    JournalStore s(path);
    BOOST_TEST(s.recovery().torn_tail);
    BOOST_TEST(s.recovery().truncated_bytes == (full - good_size) / 2);
    BOOST_TEST(s.recovery().warning.find("offset " + std::to_string(good_size)) !=
               std::string::npos);
    BOOST_TEST(s.size() == 1U);
    BOOST_TEST(fs::file_size(path) == good_size);
    s.put(make_lease(3));  // appends cleanly after the cut
    s.commit();
  }
  JournalStore s(path);
  BOOST_TEST(!s.recovery().torn_tail);
  BOOST_TEST(s.size() == 2U);
}

BOOST_AUTO_TEST_CASE(checksum_damage_in_the_last_record_is_a_torn_tail) {
  TempDir d;
  auto path = (d.path / "j").string();
  {
    JournalStore s(path);
    s.put(make_lease(1));
    s.put(make_lease(2));
    s.commit();
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x55');
  }
  JournalStore s(path);
  BOOST_TEST(s.recovery().torn_tail);
  BOOST_TEST(s.size() == 1U);
}

BOOST_AUTO_TEST_CASE(corruption_before_the_end_refuses_to_start) {
  TempDir d;
  auto path = (d.path / "j").string();
  {
    JournalStore s(path);
    for (int i = 0; i < 3; ++i) s.put(make_lease(i));
    s.commit();
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 8 + 5);  // inside the first record's body
    f.put('\x55');
  }
  try {
    JournalStore s(path);
    BOOST_ERROR("no JournalError");
  } catch (const JournalError& e) {
    std::string msg = e.what();
    BOOST_TEST(msg.find("record at offset 8 fails its checksum") != std::string::npos, msg);
    BOOST_TEST(msg.find("corrupt before its end") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(zero_filled_tail_is_cut) {
  TempDir d;
  auto path = (d.path / "j").string();
  {
    JournalStore s(path);
    s.put(make_lease(1));
    s.commit();
  }
  auto size = fs::file_size(path);
  fs::resize_file(path, size + 4096);  // the file system extended it with zeros
  JournalStore s(path);
  BOOST_TEST(s.recovery().torn_tail);
  BOOST_TEST(s.size() == 1U);
  BOOST_TEST(fs::file_size(path) == size);
}

BOOST_AUTO_TEST_CASE(not_a_journal_is_refused_and_left_alone) {
  TempDir d;
  auto path = (d.path / "j").string();
  { std::ofstream(path) << "lease,address,duid\n"; }
  BOOST_CHECK_THROW(JournalStore{path}, JournalError);
  BOOST_TEST(fs::file_size(path) == 19U);
}

BOOST_AUTO_TEST_CASE(compaction_keeps_content_and_shrinks) {
  TempDir d;
  auto path = (d.path / "j").string();
  std::uint64_t before = 0;
  {
    JournalStore s(path);
    for (int round = 0; round < 20; ++round)
      for (int i = 0; i < 50; ++i) {
        Lease l = make_lease(i);
        l.valid = static_cast<std::uint32_t>(round);
        s.put(l);
      }
    s.put_meta("k", "v");
    s.commit();
    before = s.file_bytes();
    s.compact();
    BOOST_TEST(s.file_bytes() * 10 < before);
    BOOST_TEST(fs::file_size(path) == s.file_bytes());
    s.put(make_lease(99));  // the journal keeps working after the rename
    s.commit();
  }
  JournalStore s(path);
  BOOST_TEST(s.size() == 51U);
  BOOST_TEST(s.find(make_lease(3).key)->valid == 19U);
  BOOST_TEST(*s.get_meta("k") == "v");
  BOOST_TEST(!fs::exists(path + ".compact"));
}

BOOST_AUTO_TEST_CASE(lease_record_round_trip_and_rejects_garbage) {
  Lease l = make_lease(42, LeaseType::Pd);
  wire::Bytes b;
  encode_lease(l, b);
  Lease back;
  BOOST_REQUIRE(decode_lease(b, back));
  BOOST_TEST((back == l));
  for (std::size_t n = 0; n < b.size(); ++n)
    BOOST_TEST(!decode_lease(wire::ByteView(b).first(n), back));
}

BOOST_AUTO_TEST_SUITE_END()
