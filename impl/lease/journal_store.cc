#include "lease/journal_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace failover6::lease {

namespace {

constexpr char MAGIC[8] = {'F', '6', 'J', 'R', 'N', 'L', '0', '1'};
constexpr std::uint8_t REC_LEASE = 1;
constexpr std::uint8_t REC_REMOVE = 2;
constexpr std::uint8_t REC_META = 3;
/// Lease record versions: 1 had no flags octet; 2 (written now) ends with it.
constexpr std::uint8_t LEASE_VERSION_1 = 1;
constexpr std::uint8_t LEASE_VERSION = 2;
constexpr std::uint8_t LEASE_FLAG_UPDATE_PARTNER = 0x01;  ///< Lease::update_partner
constexpr std::uint32_t MAX_RECORD = 1 << 20;

std::uint32_t crc32c(wire::ByteView b) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(b.data(), b.size());
  return crc.checksum();
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw JournalError("journal '" + path + "': " + what);
}

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(path, "write failed: " + errno_text());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

/// Writes all of [p, p+n) at @p offset (a retry after a partial write overwrites the part that
/// reached the file).
void pwrite_all(int fd, const std::uint8_t* p, std::size_t n, std::uint64_t offset,
                const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(path, "write failed: " + errno_text());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

void encode_key(const LeaseKey& k, wire::Writer& w) {
  w.u8(static_cast<std::uint8_t>(k.type));
  w.address(k.address);
  w.u8(k.prefix_length);
}

bool decode_key(wire::Reader& r, LeaseKey& k) {
  std::uint8_t type = 0;
  if (!r.u8(type) || type > 2 || !r.address(k.address) || !r.u8(k.prefix_length)) return false;
  k.type = static_cast<LeaseType>(type);
  return k.prefix_length <= 128;
}

void frame(std::uint8_t type, const wire::Bytes& body, wire::Bytes& out) {
  wire::Bytes rec;
  rec.reserve(body.size() + 1);
  rec.push_back(type);
  rec.insert(rec.end(), body.begin(), body.end());
  wire::Writer w(out);
  w.u32(static_cast<std::uint32_t>(rec.size()));
  w.u32(crc32c(rec));
  w.bytes(rec);
}

}  // namespace

void encode_lease(const Lease& l, wire::Bytes& out) {
  wire::Writer w(out);
  w.u8(LEASE_VERSION);
  encode_key(l.key, w);
  w.u8(static_cast<std::uint8_t>(l.duid.raw.size()));
  w.bytes(l.duid.raw);
  w.u32(l.iaid);
  w.u32(l.subnet_id);
  w.u8(static_cast<std::uint8_t>(l.state));
  for (std::int64_t t : {l.start_time_of_state, l.state_expiration_time})
    w.u64(static_cast<std::uint64_t>(t));
  for (std::uint32_t v : {l.preferred, l.valid, l.t1, l.t2}) w.u32(v);
  for (std::int64_t t : {l.cltt, l.expiration_time, l.acked_partner_lifetime, l.partner_lifetime,
                         l.partner_raw_cltt})
    w.u64(static_cast<std::uint64_t>(t));
  w.u16(static_cast<std::uint16_t>(std::min<std::size_t>(l.hostname.size(), 255)));
  w.bytes(wire::ByteView(reinterpret_cast<const std::uint8_t*>(l.hostname.data()),
                         std::min<std::size_t>(l.hostname.size(), 255)));
  w.u8(l.update_partner ? LEASE_FLAG_UPDATE_PARTNER : 0);
}

bool decode_lease(wire::ByteView body, Lease& l) {
  wire::Reader r(body);
  std::uint8_t version = 0, duid_len = 0, state = 0;
  if (!r.u8(version) || (version != LEASE_VERSION && version != LEASE_VERSION_1) ||
      !decode_key(r, l.key) || !r.u8(duid_len) ||
      !r.bytes(duid_len, l.duid.raw) || !r.u32(l.iaid) || !r.u32(l.subnet_id) || !r.u8(state))
    return false;
  l.state = static_cast<wire::BindingStatus>(state);
  std::uint64_t t[7];
  std::uint32_t v[4];
  for (auto& x : {&t[0], &t[1]})
    if (!r.u64(*x)) return false;
  for (auto& x : v)
    if (!r.u32(x)) return false;
  for (int i = 2; i < 7; ++i)
    if (!r.u64(t[i])) return false;
  l.start_time_of_state = static_cast<std::int64_t>(t[0]);
  l.state_expiration_time = static_cast<std::int64_t>(t[1]);
  l.preferred = v[0];
  l.valid = v[1];
  l.t1 = v[2];
  l.t2 = v[3];
  l.cltt = static_cast<std::int64_t>(t[2]);
  l.expiration_time = static_cast<std::int64_t>(t[3]);
  l.acked_partner_lifetime = static_cast<std::int64_t>(t[4]);
  l.partner_lifetime = static_cast<std::int64_t>(t[5]);
  l.partner_raw_cltt = static_cast<std::int64_t>(t[6]);
  std::uint16_t hn = 0;
  wire::ByteView h;
  if (!r.u16(hn) || !r.view(hn, h)) return false;
  l.hostname.assign(h.begin(), h.end());
  std::uint8_t flags = 0;
  if (version == LEASE_VERSION && !r.u8(flags)) return false;
  l.update_partner = (flags & LEASE_FLAG_UPDATE_PARTNER) != 0;
  return r.empty();
}

JournalStore::JournalStore(std::string path) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path parent = fs::path(path_).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) fail(path_, "cannot create directory '" + parent.string() + "': " + ec.message());
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "cannot open: " + errno_text());
  try {
    replay();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

JournalStore::~JournalStore() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalStore::replay() {
  wire::Bytes data;
  {
    off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0) fail(path_, "cannot seek: " + errno_text());
    data.resize(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(path_, "cannot read: " + errno_text());
      got += static_cast<std::size_t>(n);
    }
  }
  if (data.empty()) {
    recovery_.created = true;
    write_all(fd_, reinterpret_cast<const std::uint8_t*>(MAGIC), sizeof(MAGIC), path_);
    if (::fdatasync(fd_) != 0) fail(path_, "fdatasync failed: " + errno_text());
    file_bytes_ = sizeof(MAGIC);
    recovery_.bytes = file_bytes_;
    return;
  }
  if (data.size() < sizeof(MAGIC) || std::memcmp(data.data(), MAGIC, sizeof(MAGIC)) != 0)
    fail(path_, "not a failover6 journal (bad magic); refusing to overwrite it");
  std::size_t pos = sizeof(MAGIC);
  std::size_t good = pos;
  auto torn = [&](const std::string& why) {
    recovery_.torn_tail = true;
    recovery_.truncated_bytes = data.size() - good;
    recovery_.warning = "cut off an incomplete last record at offset " + std::to_string(good) +
                        " (" + std::to_string(recovery_.truncated_bytes) + " octets: " + why +
                        "); every record before it was replayed";
  };
  while (pos < data.size()) {
    wire::Reader r(wire::ByteView(data).subspan(pos), pos);
    std::uint32_t len = 0, crc = 0;
    if (!r.u32(len) || !r.u32(crc)) {
      torn("header cut short");
      break;
    }
    if (len == 0) {
      // Zeros to the end are a pre-allocated or partially flushed tail, not data.
      bool zeros = std::all_of(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end(),
                               [](std::uint8_t b) { return b == 0; });
      if (zeros) {
        torn("zero-filled tail");
        break;
      }
      fail(path_, "record at offset " + std::to_string(pos) +
                      " has length 0 and data follows: the journal is corrupt before its end. "
                      "Move it aside to start empty, or restore a copy");
    }
    if (len > r.remaining()) {
      if (len <= MAX_RECORD) {
        torn("record runs past the end of the file");
        break;
      }
      fail(path_, "record at offset " + std::to_string(pos) + " claims " + std::to_string(len) +
                      " octets: the journal is corrupt. Move it aside to start empty, or "
                      "restore a copy");
    }
    wire::ByteView body;
    r.view(len, body);
    bool last = pos + 8 + len == data.size();
    if (crc32c(body) != crc) {
      if (last) {
        torn("checksum mismatch in the last record");
        break;
      }
      fail(path_, "record at offset " + std::to_string(pos) + " fails its checksum and " +
                      std::to_string(data.size() - pos - 8 - len) +
                      " octets of records follow it: the journal is corrupt before its end. "
                      "Move it aside to start empty, or restore a copy");
    }
    bool ok = false;
    wire::Reader b(body);
    std::uint8_t type = 0;
    b.u8(type);
    if (type == REC_LEASE) {
      Lease l;
      ok = decode_lease(b.peek_rest(), l);
      if (ok) mem_.put(l);
    } else if (type == REC_REMOVE) {
      LeaseKey k;
      ok = decode_key(b, k) && b.empty();
      if (ok) mem_.remove(k);
    } else if (type == REC_META) {
      std::uint16_t kl = 0;
      wire::ByteView k, v;
      ok = b.u16(kl) && b.view(kl, k) && b.view(b.remaining(), v);
      if (ok) mem_.put_meta(std::string(k.begin(), k.end()), std::string(v.begin(), v.end()));
    }
    if (!ok)
      fail(path_, "record at offset " + std::to_string(pos) + " (type " + std::to_string(type) +
                      ") has a valid checksum but cannot be parsed: written by another version?");
    ++recovery_.records;
    pos += 8 + len;
    good = pos;
  }
  if (recovery_.torn_tail) {
    if (::ftruncate(fd_, static_cast<off_t>(good)) != 0 || ::fdatasync(fd_) != 0)
      fail(path_, "cannot truncate the incomplete tail: " + errno_text());
  }
  if (::lseek(fd_, static_cast<off_t>(good), SEEK_SET) < 0) fail(path_, "cannot seek: " + errno_text());
  file_bytes_ = good;
  recovery_.bytes = good;
}

void JournalStore::append_record(std::uint8_t type, const wire::Bytes& body) {
  frame(type, body, pending_);
}

void JournalStore::put(const Lease& l) {
  mem_.put(l);
  wire::Bytes body;
  encode_lease(l, body);
  append_record(REC_LEASE, body);
}

bool JournalStore::remove(const LeaseKey& k) {
  if (!mem_.remove(k)) return false;
  wire::Bytes body;
  wire::Writer w(body);
  encode_key(k, w);
  append_record(REC_REMOVE, body);
  return true;
}

void JournalStore::put_meta(const std::string& key, const std::string& value) {
  mem_.put_meta(key, value);
  wire::Bytes body;
  wire::Writer w(body);
  w.u16(static_cast<std::uint16_t>(key.size()));
  w.bytes(key);
  w.bytes(value);
  append_record(REC_META, body);
}

std::size_t JournalStore::pending_bytes() const {
  return pending_.size() + unwritten_bytes_.load();
}

void JournalStore::write_locked(const wire::Bytes& records) {
  const wire::Bytes* out = &records;
  if (!unwritten_.empty()) {
    unwritten_.insert(unwritten_.end(), records.begin(), records.end());
    unwritten_bytes_ = unwritten_.size();
    out = &unwritten_;
  }
  if (out->empty()) return;
  try {
    pwrite_all(fd_, out->data(), out->size(), file_bytes_, path_);
    // The journal was written in full up to here; only now is the batch durable.
    if (::fdatasync(fd_) != 0) fail(path_, "fdatasync failed: " + errno_text());
  } catch (...) {
    // Keep the records, in order, for the next write. Writing them again (rather than only
    // syncing again) matters: after a failed fdatasync the kernel may have dropped the dirty
    // pages.
    if (out == &records) unwritten_ = records;
    unwritten_bytes_ = unwritten_.size();
    throw;
  }
  file_bytes_ += out->size();
  unwritten_.clear();
  unwritten_bytes_ = 0;
  ++commits_;
}

void JournalStore::commit() {
  std::unique_lock lock(io_mutex_);
  // Batches taken earlier hold older records: they go first.
  written_cv_.wait(lock, [this] { return written_ == taken_; });
  if (pending_.empty() && unwritten_.empty()) return;
  wire::Bytes batch;
  batch.swap(pending_);
  write_locked(batch);
}

void JournalStore::take_pending(wire::Bytes& out) {
  out.clear();
  out.swap(pending_);
  ++taken_;
}

void JournalStore::write_batch(const wire::Bytes& records) {
  std::lock_guard lock(io_mutex_);
  try {
    write_locked(records);
  } catch (...) {
    ++written_;
    written_cv_.notify_all();
    throw;
  }
  ++written_;
  written_cv_.notify_all();
}

void JournalStore::compact() {
  commit();
  std::lock_guard lock(io_mutex_);
  namespace fs = std::filesystem;
  std::string tmp = path_ + ".compact";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, "cannot create: " + errno_text());
  wire::Bytes out(MAGIC, MAGIC + sizeof(MAGIC));
  try {
    mem_.for_each([&](const Lease& l) {
      wire::Bytes body;
      encode_lease(l, body);
      frame(REC_LEASE, body, out);
    });
    for (const auto& [k, v] : mem_.meta()) {
      wire::Bytes body;
      wire::Writer w(body);
      w.u16(static_cast<std::uint16_t>(k.size()));
      w.bytes(k);
      w.bytes(v);
      frame(REC_META, body, out);
    }
    write_all(fd, out.data(), out.size(), tmp);
    if (::fsync(fd) != 0) fail(tmp, "fsync failed: " + errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) fail(path_, "rename failed: " + errno_text());
  fs::path dir = fs::path(path_).parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  int nfd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (nfd < 0) fail(path_, "cannot reopen after compaction: " + errno_text());
  ::close(fd_);
  fd_ = nfd;
  file_bytes_ = out.size();
}

}  // namespace failover6::lease
