// Domain names in RFC 1035 wire format (no compression, as RFC 8415 §10 requires), converted
// to and from a presentation form that round-trips every octet.
#include <cctype>
#include <string>

#include "wire/option_codec.h"

namespace failover6::wire::detail {

namespace {
constexpr std::size_t MAX_LABEL = 63;
constexpr std::size_t MAX_NAME = 255;

void append_label(std::string& out, ByteView label) {
  for (std::uint8_t c : label) {
    if (c == '.' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7e) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + (c / 10) % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}
}  // namespace

bool decode_name(Reader& r, std::string& out, bool allow_partial, DecodeContext& ctx) {
  std::size_t start = r.offset();
  std::size_t total = 0;
  out.clear();
  while (true) {
    if (r.empty()) {
      if (allow_partial && total > 0) return true;  // RFC 4704 §4.2 partial name
      return ctx.fail(r.offset(), "domain name ends without its root label");
    }
    std::size_t at = r.offset();
    std::uint8_t len = 0;
    r.u8(len);
    ++total;
    if (total > MAX_NAME) return ctx.fail(start, "domain name longer than 255 octets");
    if (len == 0) {
      if (out.empty()) out.assign(1, '.');
      else out.push_back('.');
      return true;
    }
    if (len > MAX_LABEL)
      return ctx.fail(at, "domain name label length " + std::to_string(len) +
                              (len >= 0xC0 ? " (compression is not allowed in DHCPv6)"
                                           : " exceeds 63"));
    ByteView label;
    if (!r.view(len, label))
      return ctx.fail(at, "domain name label of " + std::to_string(len) +
                              " octets runs past the end");
    total += len;
    if (total > MAX_NAME)
      return ctx.fail(start, "domain name longer than 255 octets");
    if (!out.empty()) out.push_back('.');
    append_label(out, label);
  }
}

void encode_name(const std::string& name, Writer& w, const char* what) {
  if (name.empty()) return;
  if (name == ".") {
    w.u8(0);
    return;
  }
  std::string label;
  std::size_t total = 0;
  auto flush = [&]() {
    if (label.empty())
      throw EncodeError(std::string(what) + ": '" + name + "' has an empty label");
    if (label.size() > MAX_LABEL)
      throw EncodeError(std::string(what) + ": label '" + label + "' is longer than 63 octets");
    w.u8(static_cast<std::uint8_t>(label.size()));
    w.bytes(label);
    total += 1 + label.size();
    label.clear();
  };
  bool fqdn = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\\') {
      if (i + 3 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(name[i + 2])) &&
          std::isdigit(static_cast<unsigned char>(name[i + 3]))) {
        int v = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
        if (v > 255) throw EncodeError(std::string(what) + ": bad escape in '" + name + "'");
        label.push_back(static_cast<char>(v));
        i += 3;
      } else if (i + 1 < name.size()) {
        label.push_back(name[++i]);
      } else {
        throw EncodeError(std::string(what) + ": '" + name + "' ends with a lone backslash");
      }
    } else if (c == '.') {
      flush();
      if (i + 1 == name.size()) fqdn = true;
    } else {
      label.push_back(c);
    }
  }
  if (!label.empty()) flush();
  if (fqdn) {
    w.u8(0);
    ++total;
  }
  if (total > MAX_NAME)
    throw EncodeError(std::string(what) + ": '" + name + "' is longer than 255 octets");
}

}  // namespace failover6::wire::detail
