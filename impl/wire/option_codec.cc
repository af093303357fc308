// The option decoder and encoder. Dispatch is generated from OptionVariant, so each option
// type is listed once (options.h); this file only says how each *shape* is read and written.
#include "wire/option_codec.h"

#include <array>

#include "wire/message.h"

namespace failover6::wire::detail {

namespace {

/// "IA_NA (3): what" — the prefix every option-level error carries.
std::string what_in(std::uint16_t code, const std::string& what) {
  return option_name(code) + " (" + std::to_string(code) + "): " + what;
}

// The failure paths build strings; keeping them out of line keeps the checks cheap.
[[gnu::cold, gnu::noinline]] bool fail_short(Reader& r, std::size_t n, std::uint16_t code,
                                             const char* part, DecodeContext& ctx) {
  return ctx.fail(r.offset(), what_in(code, "length " + std::to_string(r.remaining()) +
                                                " is shorter than its " + std::to_string(n) +
                                                "-octet " + part));
}

[[gnu::cold, gnu::noinline]] bool fail_length(Reader& r, std::size_t n, std::uint16_t code,
                                              DecodeContext& ctx) {
  return ctx.fail(r.offset(), what_in(code, "length " + std::to_string(r.remaining()) +
                                                ", expected " + std::to_string(n)));
}

inline bool need(Reader& r, std::size_t n, std::uint16_t code, const char* part,
                 DecodeContext& ctx) {
  return r.remaining() >= n || fail_short(r, n, code, part, ctx);
}

inline bool exact(Reader& r, std::size_t n, std::uint16_t code, DecodeContext& ctx) {
  return r.remaining() == n || fail_length(r, n, code, ctx);
}

bool nested(Reader r, Options& out, DecodeContext& ctx) {
  if (++ctx.nesting > MAX_NESTING)
    return ctx.fail(r.offset(), "options nested deeper than " + std::to_string(MAX_NESTING));
  bool ok = decode_options(r, out, ctx);
  --ctx.nesting;
  return ok;
}

bool nested_message(Reader r, Box<Message>& out, std::uint16_t code, DecodeContext& ctx) {
  if (++ctx.relay_depth > MAX_RELAY_DEPTH)
    return ctx.fail(r.offset(), what_in(code, "relay messages nested deeper than " +
                                                  std::to_string(MAX_RELAY_DEPTH)));
  if (++ctx.nesting > MAX_NESTING)
    return ctx.fail(r.offset(), "options nested deeper than " + std::to_string(MAX_NESTING));
  bool ok = decode_message_into(r, *out, ctx);
  --ctx.nesting;
  --ctx.relay_depth;
  return ok;
}

/// Reads a list of 2-octet-length-prefixed opaque items that must fill @p r exactly.
bool length_prefixed_list(Reader& r, std::vector<Bytes>& out, std::uint16_t code,
                          DecodeContext& ctx) {
  while (!r.empty()) {
    std::size_t at = r.offset();
    std::uint16_t n = 0;
    if (!r.u16(n) || r.remaining() < n)
      return ctx.fail(at, what_in(code, "item length runs past the end of the option"));
    out.emplace_back();
    r.bytes(n, out.back());
  }
  return true;
}

// ---- parse(): one overload per shape. Each consumes the whole body or fails. ----

template <OptionCode C, class T>
bool parse(Reader& r, UintOption<C, T>& o, DecodeContext& ctx) {
  constexpr auto code = static_cast<std::uint16_t>(C);
  if (!exact(r, sizeof(T), code, ctx)) return false;
  if constexpr (sizeof(T) == 1) {
    r.u8(o.value);
  } else if constexpr (sizeof(T) == 2) {
    r.u16(o.value);
  } else {
    r.u32(o.value);
  }
  return true;
}

template <OptionCode C>
bool parse(Reader& r, EmptyOption<C>&, DecodeContext& ctx) {
  return exact(r, 0, static_cast<std::uint16_t>(C), ctx);
}

template <OptionCode C>
bool parse(Reader& r, DuidOption<C>& o, DecodeContext& ctx) {
  if (r.remaining() < Duid::MIN_SIZE || r.remaining() > Duid::MAX_SIZE)
    return ctx.fail(r.offset(), what_in(static_cast<std::uint16_t>(C),
                                        "DUID length " + std::to_string(r.remaining()) +
                                            " outside 3..130 (RFC 8415 §11.1)"));
  r.rest(o.duid.raw);
  return true;
}

template <OptionCode C>
bool parse(Reader& r, OpaqueOption<C>& o, DecodeContext&) {
  r.rest(o.data);
  return true;
}

/// decode_name() with the option's name in front of its error.
bool name_in(Reader& r, std::string& out, std::uint16_t code, DecodeContext& ctx) {
  if (decode_name(r, out, true, ctx)) return true;
  ctx.error.message = what_in(code, ctx.error.message);
  return false;
}

template <OptionCode C>
bool parse(Reader& r, NameOption<C>& o, DecodeContext& ctx) {
  if (r.empty()) return true;
  if (!name_in(r, o.name, static_cast<std::uint16_t>(C), ctx)) return false;
  if (!r.empty())
    return ctx.fail(r.offset(), what_in(static_cast<std::uint16_t>(C), "octets after the name"));
  return true;
}

template <OptionCode C>
bool parse(Reader& r, ContainerOption<C>& o, DecodeContext& ctx) {
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, IaNa& o, DecodeContext& ctx) {
  if (!need(r, 12, 3, "fixed part", ctx)) return false;
  r.u32(o.iaid);
  r.u32(o.t1);
  r.u32(o.t2);
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, IaTa& o, DecodeContext& ctx) {
  if (!need(r, 4, 4, "fixed part", ctx)) return false;
  r.u32(o.iaid);
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, IaAddress& o, DecodeContext& ctx) {
  if (!need(r, 24, 5, "fixed part", ctx)) return false;
  r.address(o.address);
  r.u32(o.preferred);
  r.u32(o.valid);
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, OptionRequest& o, DecodeContext& ctx) {
  if (r.remaining() % 2 != 0)
    return ctx.fail(r.offset(), what_in(6, "odd length " + std::to_string(r.remaining())));
  o.codes.resize(r.remaining() / 2);
  for (auto& c : o.codes) r.u16(c);
  return true;
}

bool parse(Reader& r, RelayMsg& o, DecodeContext& ctx) {
  return nested_message(r.sub(r.remaining()), o.message, 9, ctx);
}

bool parse(Reader& r, Auth& o, DecodeContext& ctx) {
  if (!need(r, 11, 11, "fixed part", ctx)) return false;
  r.u8(o.protocol);
  r.u8(o.algorithm);
  r.u8(o.rdm);
  r.u64(o.replay_detection);
  r.rest(o.info);
  return true;
}

bool parse(Reader& r, Unicast& o, DecodeContext& ctx) {
  if (!exact(r, 16, 12, ctx)) return false;
  r.address(o.address);
  return true;
}

bool parse(Reader& r, StatusCodeOption& o, DecodeContext& ctx) {
  if (!need(r, 2, 13, "status code", ctx)) return false;
  r.u16(o.status);
  ByteView msg;
  r.view(r.remaining(), msg);
  o.message.assign(msg.begin(), msg.end());
  return true;
}

bool parse(Reader& r, UserClass& o, DecodeContext& ctx) {
  return length_prefixed_list(r, o.classes, 15, ctx);
}

bool parse(Reader& r, VendorClass& o, DecodeContext& ctx) {
  if (!need(r, 4, 16, "enterprise number", ctx)) return false;
  r.u32(o.enterprise);
  return length_prefixed_list(r, o.classes, 16, ctx);
}

bool parse(Reader& r, VendorOpts& o, DecodeContext& ctx) {
  if (!need(r, 4, 17, "enterprise number", ctx)) return false;
  r.u32(o.enterprise);
  while (!r.empty()) {
    std::size_t at = r.offset();
    VendorSubOption s;
    std::uint16_t n = 0;
    if (!r.u16(s.code) || !r.u16(n) || r.remaining() < n)
      return ctx.fail(at, what_in(17, "sub-option runs past the end of the option"));
    r.bytes(n, s.data);
    o.options.push_back(std::move(s));
  }
  return true;
}

bool parse(Reader& r, DnsServers& o, DecodeContext& ctx) {
  if (r.remaining() % 16 != 0)
    return ctx.fail(r.offset(), what_in(23, "length " + std::to_string(r.remaining()) +
                                                " is not a multiple of 16"));
  o.servers.resize(r.remaining() / 16);
  for (auto& a : o.servers) r.address(a);
  return true;
}

bool parse(Reader& r, DomainList& o, DecodeContext& ctx) {
  while (!r.empty()) {
    o.domains.emplace_back();
    if (!name_in(r, o.domains.back(), 24, ctx)) return false;
  }
  return true;
}

bool parse(Reader& r, IaPd& o, DecodeContext& ctx) {
  if (!need(r, 12, 25, "fixed part", ctx)) return false;
  r.u32(o.iaid);
  r.u32(o.t1);
  r.u32(o.t2);
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, IaPrefix& o, DecodeContext& ctx) {
  if (!need(r, 25, 26, "fixed part", ctx)) return false;
  r.u32(o.preferred);
  r.u32(o.valid);
  std::size_t at = r.offset();
  r.u8(o.prefix_length);
  if (o.prefix_length > 128)
    return ctx.fail(at, what_in(26, "prefix-length " + std::to_string(o.prefix_length) +
                                        " exceeds 128"));
  r.address(o.prefix);
  return nested(r.sub(r.remaining()), o.options, ctx);
}

bool parse(Reader& r, RemoteId& o, DecodeContext& ctx) {
  if (!need(r, 4, 37, "enterprise number", ctx)) return false;
  r.u32(o.enterprise);
  r.rest(o.remote_id);
  return true;
}

bool parse(Reader& r, ClientFqdn& o, DecodeContext& ctx) {
  if (!need(r, 1, 39, "flags field", ctx)) return false;
  r.u8(o.flags);
  if (r.empty()) return true;
  if (!name_in(r, o.name, 39, ctx)) return false;
  if (!r.empty()) return ctx.fail(r.offset(), what_in(39, "octets after the domain name"));
  return true;
}

bool parse(Reader& r, LqRelayData& o, DecodeContext& ctx) {
  if (!need(r, 16, 47, "peer address", ctx)) return false;
  r.address(o.peer_address);
  return nested_message(r.sub(r.remaining()), o.message, 47, ctx);
}

bool parse(Reader& r, Vss& o, DecodeContext& ctx) {
  if (!need(r, 1, 68, "VSS type", ctx)) return false;
  r.u8(o.type);
  r.rest(o.info);
  return true;
}

bool parse(Reader& r, FProtocolVersion& o, DecodeContext& ctx) {
  if (!exact(r, 4, 127, ctx)) return false;
  r.u16(o.major);
  r.u16(o.minor);
  return true;
}

bool parse(Reader& r, FReconfigureData& o, DecodeContext& ctx) {
  if (!need(r, 4, 129, "reconfigure-time", ctx)) return false;
  r.u32(o.time);
  r.rest(o.key);
  return true;
}

bool parse(Reader& r, FRelationshipName& o, DecodeContext&) {
  ByteView v;
  r.view(r.remaining(), v);
  o.name.assign(v.begin(), v.end());
  return true;
}

// ---- Dispatch table, generated from OptionVariant ----

using DecodeFn = bool (*)(Reader&, Option&, DecodeContext&);
constexpr std::size_t TABLE_SIZE = 135;  // highest typed code is 134

template <class T>
bool decode_as(Reader& r, Option& out, DecodeContext& ctx) {
  // Parse straight into the slot: no temporary to build, move and destroy per option.
  return parse(r, out.value.template emplace<T>(), ctx);
}

template <class... Ts>
constexpr std::array<DecodeFn, TABLE_SIZE> make_table(std::variant<UnknownOption, Ts...>*) {
  std::array<DecodeFn, TABLE_SIZE> t{};
  ((t[static_cast<std::size_t>(Ts::code)] = &decode_as<Ts>), ...);
  return t;
}
constexpr auto DECODERS = make_table(static_cast<OptionVariant*>(nullptr));

// ---- Encoders: one overload per shape ----

template <OptionCode C, class T>
void body(Writer& w, const UintOption<C, T>& o) {
  if constexpr (sizeof(T) == 1) {
    w.u8(o.value);
  } else if constexpr (sizeof(T) == 2) {
    w.u16(o.value);
  } else {
    w.u32(o.value);
  }
}
template <OptionCode C>
void body(Writer&, const EmptyOption<C>&) {}
template <OptionCode C>
void body(Writer& w, const DuidOption<C>& o) { w.bytes(o.duid.raw); }
template <OptionCode C>
void body(Writer& w, const OpaqueOption<C>& o) { w.bytes(o.data); }
template <OptionCode C>
void body(Writer& w, const NameOption<C>& o) { encode_name(o.name, w, "domain name"); }
template <OptionCode C>
void body(Writer& w, const ContainerOption<C>& o) { encode_options(o.options, w); }

void body(Writer& w, const UnknownOption& o) { w.bytes(o.data); }
void body(Writer& w, const IaNa& o) {
  w.u32(o.iaid);
  w.u32(o.t1);
  w.u32(o.t2);
  encode_options(o.options, w);
}
void body(Writer& w, const IaTa& o) {
  w.u32(o.iaid);
  encode_options(o.options, w);
}
void body(Writer& w, const IaAddress& o) {
  w.address(o.address);
  w.u32(o.preferred);
  w.u32(o.valid);
  encode_options(o.options, w);
}
void body(Writer& w, const OptionRequest& o) {
  for (auto c : o.codes) w.u16(c);
}
void body(Writer& w, const RelayMsg& o) { encode_message_into(*o.message, w); }
void body(Writer& w, const Auth& o) {
  w.u8(o.protocol);
  w.u8(o.algorithm);
  w.u8(o.rdm);
  w.u64(o.replay_detection);
  w.bytes(o.info);
}
void body(Writer& w, const Unicast& o) { w.address(o.address); }
void body(Writer& w, const StatusCodeOption& o) {
  w.u16(o.status);
  w.bytes(o.message);
}
void classes(Writer& w, const std::vector<Bytes>& cs) {
  for (const auto& c : cs) {
    auto at = w.begin_length();
    w.bytes(c);
    w.end_length(at, "class data");
  }
}
void body(Writer& w, const UserClass& o) { classes(w, o.classes); }
void body(Writer& w, const VendorClass& o) {
  w.u32(o.enterprise);
  classes(w, o.classes);
}
void body(Writer& w, const VendorOpts& o) {
  w.u32(o.enterprise);
  for (const auto& s : o.options) {
    w.u16(s.code);
    auto at = w.begin_length();
    w.bytes(s.data);
    w.end_length(at, "vendor sub-option");
  }
}
void body(Writer& w, const DnsServers& o) {
  for (const auto& a : o.servers) w.address(a);
}
void body(Writer& w, const DomainList& o) {
  for (std::size_t i = 0; i < o.domains.size(); ++i) {
    const auto& d = o.domains[i];
    if (i + 1 < o.domains.size() && (d.empty() || d.back() != '.'))
      throw EncodeError("DOMAIN_LIST: '" + d +
                        "' is not fully qualified; only the last name may be partial");
    encode_name(d, w, "DOMAIN_LIST");
  }
}
void body(Writer& w, const IaPd& o) {
  w.u32(o.iaid);
  w.u32(o.t1);
  w.u32(o.t2);
  encode_options(o.options, w);
}
void body(Writer& w, const IaPrefix& o) {
  w.u32(o.preferred);
  w.u32(o.valid);
  w.u8(o.prefix_length);
  w.address(o.prefix);
  encode_options(o.options, w);
}
void body(Writer& w, const RemoteId& o) {
  w.u32(o.enterprise);
  w.bytes(o.remote_id);
}
void body(Writer& w, const ClientFqdn& o) {
  w.u8(o.flags);
  encode_name(o.name, w, "CLIENT_FQDN");
}
void body(Writer& w, const LqRelayData& o) {
  w.address(o.peer_address);
  encode_message_into(*o.message, w);
}
void body(Writer& w, const Vss& o) {
  w.u8(o.type);
  w.bytes(o.info);
}
void body(Writer& w, const FProtocolVersion& o) {
  w.u16(o.major);
  w.u16(o.minor);
}
void body(Writer& w, const FReconfigureData& o) {
  w.u32(o.time);
  w.bytes(o.key);
}
void body(Writer& w, const FRelationshipName& o) { w.bytes(o.name); }

}  // namespace

bool decode_options(Reader r, Options& out, DecodeContext& ctx) {
  // Count first so the vector is allocated once; a bad length is reported by the loop below.
  {
    Reader scan = r;
    std::size_t n = 0;
    std::uint16_t code = 0;
    std::uint16_t len = 0;
    ByteView skip;
    while (scan.u16(code) && scan.u16(len) && scan.view(len, skip)) ++n;
    out.reserve(out.size() + n);
  }
  while (!r.empty()) {
    std::size_t at = r.offset();
    std::uint16_t code = 0;
    std::uint16_t len = 0;
    if (r.remaining() < 4)
      return ctx.fail(at, std::to_string(r.remaining()) +
                              " trailing octets are too few for an option header");
    r.u16(code);
    r.u16(len);
    if (len > r.remaining())
      return ctx.fail(at, what_in(code, "length " + std::to_string(len) + " runs past the end (" +
                                            std::to_string(r.remaining()) + " octets left)"));
    Reader body_reader = r.sub(len);
    Option& o = out.emplace_back();
    DecodeFn fn = code < TABLE_SIZE ? DECODERS[code] : nullptr;
    if (fn == nullptr) {
      UnknownOption u;
      u.code = code;
      body_reader.rest(u.data);
      o.value = std::move(u);
    } else if (!fn(body_reader, o, ctx)) {
      return false;
    }
  }
  return true;
}

void encode_options(const Options& opts, Writer& w) {
  for (const auto& o : opts) {
    w.u16(o.code());
    auto at = w.begin_length();
    std::visit([&](const auto& v) { body(w, v); }, o.value);
    w.end_length(at, "option body");
  }
}

}  // namespace failover6::wire::detail

namespace failover6::wire {

std::uint16_t Option::code() const {
  return std::visit(
      [](const auto& v) -> std::uint16_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, UnknownOption>) {
          return v.code;
        } else {
          return static_cast<std::uint16_t>(T::code);
        }
      },
      value);
}

}  // namespace failover6::wire
