#include "trace/pcap_reader.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <utility>

#include "trace/trace_error.h"

namespace failover6::trace {

namespace {

// glibc's default stdio buffer is one disk block; a larger one cuts the read() calls on a
// big capture by two orders of magnitude, which is a measurable share of the read time.
constexpr std::size_t STDIO_BUFFER = 1 << 20;

}  // namespace

struct PcapReader::Handle {
  pcap_t* pcap = nullptr;
  std::unique_ptr<char[]> buffer;  // setvbuf buffer; must outlive the FILE pcap closes.

  ~Handle() {
    if (pcap != nullptr) pcap_close(pcap);
  }
};

PcapReader::PcapReader(const std::string& path, const ReaderOptions& options)
    : path_(path), handle_(open(path)), decoder_([&] {
        try {
          return FrameDecoder(pcap_datalink(handle_->pcap), options);
        } catch (const TraceError& e) {
          throw TraceError("cannot read capture '" + path + "': " + e.what());
        }
      }()) {}

// Opens the file ourselves so that the stdio buffer can be enlarged before libpcap reads the
// header; pcap_open_offline gives no such hook.
std::unique_ptr<PcapReader::Handle> PcapReader::open(const std::string& path) {
  auto h = std::make_unique<Handle>();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw TraceError("cannot open capture '" + path + "': " + std::strerror(errno));
  h->buffer = std::make_unique<char[]>(STDIO_BUFFER);
  std::setvbuf(f, h->buffer.get(), _IOFBF, STDIO_BUFFER);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  h->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (h->pcap == nullptr) {
    std::fclose(f);  // libpcap leaves the FILE to us when it fails.
    throw TraceError("cannot open capture '" + path + "': " + errbuf);
  }
  return h;
}

PcapReader::~PcapReader() = default;
PcapReader::PcapReader(PcapReader&&) noexcept = default;
PcapReader& PcapReader::operator=(PcapReader&&) noexcept = default;

bool PcapReader::next(Packet& out) {
  if (done_) return false;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_->pcap, &hdr, &data);
    if (rc == 1) {
      ++frame_no_;
      // With nanosecond precision requested at open, libpcap scales every file's
      // timestamps (µs or ns) to nanoseconds in the tv_usec field.
      const std::int64_t t =
          std::int64_t{hdr->ts.tv_sec} * 1'000'000'000 + std::int64_t{hdr->ts.tv_usec};
      if (decoder_.decode(std::span<const std::uint8_t>(data, hdr->caplen), frame_no_, t, out))
        return true;
      continue;
    }
    if (rc == PCAP_ERROR_BREAK) {  // End of file.
      done_ = true;
      decoder_.finish();
      return false;
    }
    const std::string reason = pcap_geterr(handle_->pcap);
    // libpcap reports a record cut short at the end of the file ("truncated dump file",
    // "truncated pcapng dump file") as an error; for us that is the normal state of a
    // capture whose writer was killed, so it ends the file instead.
    if (reason.find("truncated") != std::string::npos) {
      done_ = true;
      decoder_.note_truncated_file();
      decoder_.finish();
      return false;
    }
    throw TraceError("cannot read capture '" + path_ + "' after frame " +
                     std::to_string(frame_no_) + ": " + reason);
  }
}

}  // namespace failover6::trace
