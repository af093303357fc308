#!/usr/bin/python3
"""Writes the fuzz seed corpus: tests/fuzz/corpus/{dhcp6,failover,frames}/.

Usage: tests/fuzz/make_corpus.py [--out DIR] [--captures DIR]

  dhcp6/     the UDP payload of every DHCPv6 packet in the shared reference captures
             (../shared/captures/dhcpv6/*.pcap*, read with scapy), plus hand-built messages
             for what the captures lack: relay nesting 1..8, every DUID type, IA_PD/IAPREFIX,
             AUTH, USER_CLASS, VENDOR_CLASS, VENDOR_OPTS, CLIENT_FQDN, DOMAIN_LIST, leasequery.
  failover/  hand-built RFC 8156 messages (§5.2 header: type(1) xid(3) sent-time(4) options),
             one per message form of RFC 8156 §6-§7, plus STARTTLS/REPLY with and without
             sent-time (PROTOCOL.md ambiguity A7).
  frames/    fuzz_frames inputs: a control octet, chunk sizes, then a stream of framed failover
             messages (the layout is described at the top of fuzz_frames.cc).
  json/      fuzz_json inputs: selector octet 0x00 + each valid dhcp6 seed, 0x01 + each valid
             failover seed (fuzz_json.cc).

Every seed is a valid message except those named reject-*, which sit just past a limit of the
malformed-input policy: ctest's fuzz_replay_* require the decoder to accept each seed and to
reject each reject-* one. The output is deterministic (fixed times, ids and keys), and the script empties the
three directories before writing, so re-running it reproduces the committed corpus exactly.
Needs Debian's /usr/bin/python3 with python3-scapy (only for reading the captures).
"""

import argparse
import glob
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CAPTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "captures",
                                                 "dhcpv6"))

# ---- wire helpers ---------------------------------------------------------------------------


def u8(v):
    return struct.pack("!B", v)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def u64(v):
    return struct.pack("!Q", v)


def addr(text):
    return socket.inet_pton(socket.AF_INET6, text)


def opt(code, *parts):
    """One DHCPv6 option: code(2) len(2) body (RFC 8415 §21.1)."""
    body = b"".join(parts)
    assert len(body) <= 0xFFFF, (code, len(body))
    return struct.pack("!HH", code, len(body)) + body


def msg(mtype, xid, *opts):
    """A client/server message: msg-type(1) transaction-id(3) options (RFC 8415 §8)."""
    return u8(mtype) + xid.to_bytes(3, "big") + b"".join(opts)


def relay(mtype, hops, link, peer, *opts):
    """A relay message: msg-type(1) hop-count(1) link(16) peer(16) options (RFC 8415 §9)."""
    return u8(mtype) + u8(hops) + addr(link) + addr(peer) + b"".join(opts)


def fo(mtype, xid, sent, *opts):
    """A failover message: msg-type(1) xid(3) sent-time(4) options (RFC 8156 §5.2)."""
    return u8(mtype) + xid.to_bytes(3, "big") + u32(sent) + b"".join(opts)


def fo_plain(mtype, xid, *opts):
    """STARTTLS / REPLY without sent-time (RFC 7653 header; PROTOCOL.md A7)."""
    return u8(mtype) + xid.to_bytes(3, "big") + b"".join(opts)


def name(text):
    """RFC 1035 wire form, no compression; a trailing '.' makes it fully qualified."""
    fqdn = text.endswith(".")
    labels = [l for l in text.rstrip(".").split(".") if l] if text not in ("", ".") else []
    out = b"".join(u8(len(l)) + l.encode() for l in labels)
    return out + (b"\x00" if fqdn else b"")


def raw_labels(labels, fqdn=True):
    """A name from raw label octets (for labels holding '.', '\\' or non-printable octets)."""
    return b"".join(u8(len(l)) + l for l in labels) + (b"\x00" if fqdn else b"")


# ---- option codes ---------------------------------------------------------------------------

CLIENTID, SERVERID, IA_NA, IA_TA, IAADDR, ORO, PREFERENCE, ELAPSED_TIME = 1, 2, 3, 4, 5, 6, 7, 8
RELAY_MSG, AUTH, UNICAST, STATUS_CODE, RAPID_COMMIT, USER_CLASS = 9, 11, 12, 13, 14, 15
VENDOR_CLASS, VENDOR_OPTS, INTERFACE_ID, RECONF_MSG, RECONF_ACCEPT = 16, 17, 18, 19, 20
DNS_SERVERS, DOMAIN_LIST, IA_PD, IAPREFIX, INFORMATION_REFRESH_TIME = 23, 24, 25, 26, 32
REMOTE_ID, SUBSCRIBER_ID, CLIENT_FQDN, LQ_QUERY, CLIENT_DATA, CLT_TIME = 37, 38, 39, 44, 45, 46
LQ_RELAY_DATA, RELAY_ID, VSS, SOL_MAX_RT, INF_MAX_RT, LQ_BASE_TIME = 47, 53, 68, 82, 83, 100
F_BINDING_STATUS, F_CONNECT_FLAGS, F_DNS_REMOVAL_INFO, F_DNS_HOST_NAME = 114, 115, 116, 117
F_DNS_ZONE_NAME, F_DNS_FLAGS, F_EXPIRATION_TIME, F_MAX_UNACKED_BNDUPD = 118, 119, 120, 121
F_MCLT, F_PARTNER_LIFETIME, F_PARTNER_LIFETIME_SENT, F_PARTNER_DOWN_TIME = 122, 123, 124, 125
F_PARTNER_RAW_CLT_TIME, F_PROTOCOL_VERSION, F_KEEPALIVE_TIME = 126, 127, 128
F_RECONFIGURE_DATA, F_RELATIONSHIP_NAME, F_SERVER_FLAGS, F_SERVER_STATE = 129, 130, 131, 132
F_START_TIME_OF_STATE, F_STATE_EXPIRATION_TIME = 133, 134

# Message types (RFC 8415 §7.3, RFC 5007, RFC 7653, RFC 8156 §5.3).
SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY, RELEASE, DECLINE = range(1, 10)
RECONFIGURE, INFORMATION_REQUEST, RELAY_FORW, RELAY_REPL = 10, 11, 12, 13
LEASEQUERY, LEASEQUERY_REPLY, DHCPV4_QUERY, ACTIVELEASEQUERY, STARTTLS = 14, 15, 20, 22, 23
BNDUPD, BNDREPLY, POOLREQ, POOLRESP, UPDREQ, UPDREQALL, UPDDONE = range(24, 31)
CONNECT, CONNECTREPLY, DISCONNECT, STATE, CONTACT = range(31, 36)

# ---- DUIDs (RFC 8415 §11, RFC 6355) ---------------------------------------------------------

MAC = bytes.fromhex("00163e112233")
DUID_LLT = u16(1) + u16(1) + u32(0x2D5E1F20) + MAC
DUID_EN = u16(2) + u32(2495) + bytes.fromhex("0c0d0e0f1011")
DUID_LL = u16(3) + u16(1) + MAC
DUID_UUID = u16(4) + bytes.fromhex("2f0c8a9e4e5b4f7d9a6b1c2d3e4f5a6b")
DUID_UNKNOWN = u16(0xFFFF) + b"opaque-duid"
DUID_MIN = u16(3) + b"\x01"  # 3 octets, the shortest valid DUID
DUID_MAX = u16(2) + u32(9) + bytes(range(124))  # 130 octets, the longest
SERVER_DUID = u16(1) + u16(1) + u32(0x2D5E0000) + bytes.fromhex("00163eaabbcc")

# Failover times: seconds since 2000-01-01 UTC (RFC 8156 §3). 2024-05-01T12:00:00Z.
T0 = 1714564800 - 946684800


def ia_na(iaid, t1, t2, *opts):
    return opt(IA_NA, u32(iaid), u32(t1), u32(t2), *opts)


def ia_ta(iaid, *opts):
    return opt(IA_TA, u32(iaid), *opts)


def ia_pd(iaid, t1, t2, *opts):
    return opt(IA_PD, u32(iaid), u32(t1), u32(t2), *opts)


def iaaddr(a, pref, valid, *opts):
    return opt(IAADDR, addr(a), u32(pref), u32(valid), *opts)


def iaprefix(pref, valid, plen, prefix, *opts):
    return opt(IAPREFIX, u32(pref), u32(valid), u8(plen), addr(prefix), *opts)


def status(code, text=""):
    return opt(STATUS_CODE, u16(code), text.encode())


def class_list(*items):
    return b"".join(u16(len(i)) + i for i in items)


# ---- DHCPv6 seeds ---------------------------------------------------------------------------


def dhcp6_seeds():
    s = {}
    cid = opt(CLIENTID, DUID_LLT)
    sid = opt(SERVERID, SERVER_DUID)

    s["solicit-full"] = msg(
        SOLICIT, 0x1A2B3C, cid, opt(ELAPSED_TIME, u16(0)), opt(RAPID_COMMIT),
        ia_na(1, 0, 0), ia_pd(2, 0, 0, iaprefix(0, 0, 56, "::")),
        opt(ORO, u16(23), u16(24), u16(39), u16(82), u16(83)),
        opt(USER_CLASS, class_list(b"class-a", b"lab")),
        opt(VENDOR_CLASS, u32(4491), class_list(b"docsis3.0", b"")),
        opt(VENDOR_OPTS, u32(4491), u16(1), u16(4), b"\x00\x20\x00\x21", u16(2), u16(0)),
        opt(CLIENT_FQDN, u8(0x01), name("host1.example.com.")), opt(RECONF_ACCEPT))
    s["solicit-minimal"] = msg(SOLICIT, 1, cid)
    s["solicit-header-only"] = msg(SOLICIT, 0xFFFFFF)
    s["advertise-full"] = msg(
        ADVERTISE, 0x1A2B3C, sid, cid, opt(PREFERENCE, u8(255)),
        ia_na(1, 1800, 2880, iaaddr("2001:db8:1::11", 3600, 7200), status(0, "assigned")),
        ia_pd(2, 1800, 2880, iaprefix(3600, 7200, 56, "2001:db8:ff00::")),
        opt(DNS_SERVERS, addr("2001:db8::53"), addr("2001:db8::5353")),
        opt(DOMAIN_LIST, name("example.com."), name("corp.example.org.")),
        opt(UNICAST, addr("2001:db8::547")), opt(SOL_MAX_RT, u32(3600)),
        opt(INF_MAX_RT, u32(86400)), opt(INFORMATION_REFRESH_TIME, u32(86400)))
    s["advertise-noaddrsavail"] = msg(ADVERTISE, 7, sid, cid,
                                      status(2, "no addresses available"))
    s["request-all-ia"] = msg(
        REQUEST, 0x0000FE, cid, sid, opt(ELAPSED_TIME, u16(150)),
        ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 0, 0)),
        ia_ta(3, iaaddr("2001:db8:1:0:a::1", 0, 0)),
        ia_pd(2, 0, 0, iaprefix(0, 0, 56, "2001:db8:ff00::"),
              iaprefix(0, 0, 64, "2001:db8:ff01::")))
    s["reply-ia-pd-lengths"] = msg(
        REPLY, 0x0000FE, sid, cid,
        ia_pd(2, 1800, 2880, iaprefix(3600, 7200, 48, "2001:db8:100::"),
              iaprefix(3600, 7200, 56, "2001:db8:200::"),
              iaprefix(3600, 7200, 64, "2001:db8:300::"),
              iaprefix(3600, 7200, 128, "2001:db8:400::1"),
              iaprefix(0, 0, 0, "::", status(6, "no prefix"))),
        ia_pd(5, 0, 0, status(6, "NoPrefixAvail")))
    s["reply-ia-ta"] = msg(REPLY, 3, sid, cid,
                           ia_ta(7, iaaddr("2001:db8:1:0:a::1", 300, 600),
                                 iaaddr("2001:db8:1:0:a::2", 0xFFFFFFFF, 0xFFFFFFFF)))
    # AUTH, RFC 8415 §20.4: reconfigure key protocol 3, HMAC-MD5 (1), RDM 0.
    s["reply-auth-reconfigure-key"] = msg(
        REPLY, 0x424242, sid, cid, ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 3600, 7200)),
        opt(AUTH, u8(3), u8(1), u8(0), u64(0x0000000100000002), u8(1),
            bytes(range(0x10, 0x20))),
        opt(RECONF_ACCEPT))
    s["reconfigure-auth"] = msg(RECONFIGURE, 0, sid, cid, opt(RECONF_MSG, u8(RENEW)),
                                opt(AUTH, u8(3), u8(1), u8(0), u64(3), u8(2), bytes(16)))
    s["reply-auth-delayed"] = msg(REPLY, 9, sid, cid,
                                  opt(AUTH, u8(2), u8(1), u8(0), u64(1), b"realm-and-key-id"))
    s["renew"] = msg(RENEW, 0x10, cid, sid, opt(ELAPSED_TIME, u16(0)),
                     ia_na(1, 1800, 2880, iaaddr("2001:db8:1::11", 3600, 7200)))
    s["rebind"] = msg(REBIND, 0x11, cid, opt(ELAPSED_TIME, u16(0xFFFF)),
                      ia_pd(2, 0, 0, iaprefix(3600, 7200, 56, "2001:db8:ff00::")))
    s["release"] = msg(RELEASE, 0x12, cid, sid,
                       ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 0, 0)))
    s["decline"] = msg(DECLINE, 0x13, cid, sid,
                       ia_na(1, 0, 0, iaaddr("2001:db8:1::12", 0, 0)))
    s["confirm"] = msg(CONFIRM, 0x14, cid, ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 0, 0)))
    s["information-request"] = msg(INFORMATION_REQUEST, 0x15, opt(CLIENTID, DUID_UUID),
                                   opt(ORO), opt(ELAPSED_TIME, u16(10)))

    # Every DUID type (RFC 8415 §11, RFC 6355), as CLIENTID and SERVERID.
    for label, duid in [("llt", DUID_LLT), ("en", DUID_EN), ("ll", DUID_LL),
                        ("uuid", DUID_UUID), ("unknown-type", DUID_UNKNOWN),
                        ("min-3-octets", DUID_MIN), ("max-130-octets", DUID_MAX)]:
        s["duid-" + label] = msg(ADVERTISE, 0x20, opt(SERVERID, duid), opt(CLIENTID, duid))

    # Relay nesting 1..8 (RFC 8415 §9, §19) with INTERFACE_ID and REMOTE_ID at each level.
    inner = msg(SOLICIT, 0x0A0B0C, cid, ia_na(1, 0, 0), opt(ELAPSED_TIME, u16(0)))
    m = inner
    for depth in range(1, 9):
        extra = []
        if depth % 2 == 0:
            extra.append(opt(SUBSCRIBER_ID, b"subscriber-%d" % depth))
        if depth % 3 == 0:
            extra.append(opt(RELAY_ID, DUID_LL))
        m = relay(RELAY_FORW, depth - 1, "2001:db8:%x::1" % depth, "fe80::%x" % depth,
                  opt(INTERFACE_ID, b"eth0/%d" % depth),
                  opt(REMOTE_ID, u32(3561), b"remote-%d" % depth), *extra,
                  opt(RELAY_MSG, m))
        s["relay-forw-depth-%d" % depth] = m
    reply = msg(REPLY, 0x0A0B0C, sid, cid,
                ia_na(1, 1800, 2880, iaaddr("2001:db8:1::11", 3600, 7200)))
    m = reply
    for depth in range(1, 4):
        m = relay(RELAY_REPL, depth - 1, "2001:db8:%x::1" % depth, "fe80::%x" % depth,
                  opt(INTERFACE_ID, b"eth0/%d" % depth), opt(RELAY_MSG, m))
        s["relay-repl-depth-%d" % depth] = m
    s["relay-forw-link-local-only"] = relay(RELAY_FORW, 0, "::", "fe80::1",
                                            opt(RELAY_MSG, msg(INFORMATION_REQUEST, 1)))

    # CLIENT_FQDN (RFC 4704 §4) and names (RFC 1035 wire form).
    s["fqdn-flags-only"] = msg(SOLICIT, 0x30, cid, opt(CLIENT_FQDN, u8(0x00)))
    s["fqdn-partial"] = msg(REQUEST, 0x31, cid, opt(CLIENT_FQDN, u8(0x01), name("host1")))
    s["fqdn-root"] = msg(REPLY, 0x32, cid, opt(CLIENT_FQDN, u8(0x04), name(".")))
    s["fqdn-escaped-octets"] = msg(
        REPLY, 0x33, cid,
        opt(CLIENT_FQDN, u8(0x05), raw_labels([b"a.b", b"back\\slash", b"\x00\xff sp", b"x"])))
    s["fqdn-63-octet-label"] = msg(REPLY, 0x34, cid,
                                   opt(CLIENT_FQDN, u8(1), raw_labels([b"L" * 63, b"example"])))
    # 3 x 63-octet labels + 61 + root = 255 octets, the longest a name may be (RFC 1035 §2.3.4).
    s["fqdn-255-octet-name"] = msg(
        REPLY, 0x35, cid,
        opt(CLIENT_FQDN, u8(1), raw_labels([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61])))
    s["domain-list-many"] = msg(
        REPLY, 0x36, sid, cid,
        opt(DOMAIN_LIST, name("."), name("example.com."), raw_labels([b"dot.in", b"label"]),
            name("last-is-partial")))
    s["domain-list-single"] = msg(INFORMATION_REQUEST, 0x37, opt(DOMAIN_LIST, name("lab.")))

    # Leasequery (RFC 5007) with CLIENT_DATA, CLT_TIME, LQ_RELAY_DATA; VSS (RFC 6607).
    s["leasequery"] = msg(LEASEQUERY, 0x40, cid,
                          opt(LQ_QUERY, u8(1), addr("::"), iaaddr("2001:db8:1::11", 0, 0)))
    s["leasequery-reply"] = msg(
        LEASEQUERY_REPLY, 0x40, sid,
        opt(CLIENT_DATA, cid, iaaddr("2001:db8:1::11", 3600, 7200), opt(CLT_TIME, u32(120)),
            opt(LQ_RELAY_DATA, addr("2001:db8:1::1"),
                relay(RELAY_FORW, 0, "2001:db8:1::1", "fe80::1",
                      opt(INTERFACE_ID, b"eth1"), opt(RELAY_MSG, msg(REQUEST, 5, cid)))),
            opt(VSS, u8(1), b"\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00")),
        opt(LQ_BASE_TIME, u32(T0)))
    s["active-leasequery"] = msg(ACTIVELEASEQUERY, 0x41, cid, opt(ORO, u16(45)))
    s["dhcpv4-query"] = msg(DHCPV4_QUERY, 0x42,
                            opt(87, bytes([1, 1, 6, 0]) + bytes(236) + b"\x63\x82\x53\x63\xff"),
                            opt(88, addr("2001:db8::67")))

    # Unknown message types and option codes are kept as raw octets.
    s["unknown-type-0"] = msg(0, 0, opt(60000, b"x"), opt(143))
    s["unknown-type-255"] = msg(255, 0xABCDEF, opt(0xFFFF, bytes(range(40))), cid)
    s["unknown-options-in-ia"] = msg(
        REPLY, 0x43, sid, cid,
        ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 1, 2, opt(1234, b"inner"), opt(90)),
              opt(4321, b"")))
    s["sip-and-ntp-unknown"] = msg(REPLY, 0x44, sid, cid, opt(21, name("sip.example.")),
                                   opt(22, addr("2001:db8::5060")),
                                   opt(56, opt(1, addr("2001:db8::123"))))

    # The malformed-input policy at its boundaries (constants.h, option_codec.cc): the last
    # accepted case here, the first rejected one as reject-*.
    s["relay-forw-depth-32"] = nest_relays(inner, 32)
    s["reject-relay-forw-depth-33"] = nest_relays(inner, 33)
    s["reject-relay-header-33-octets"] = relay(RELAY_FORW, 0, "::", "::")[:-1]
    s["reject-header-3-octets"] = msg(SOLICIT, 1)[:3]
    s["reject-empty"] = b""
    s["reject-failover-type-over-udp"] = msg(BNDUPD, 1, cid)
    s["reject-option-runs-past-end"] = msg(SOLICIT, 1, cid)[:-1]
    s["reject-option-header-cut"] = msg(SOLICIT, 1, cid) + b"\x00\x01\x00"
    s["reject-iaprefix-length-129"] = msg(REPLY, 1, ia_pd(1, 0, 0, iaprefix(1, 2, 129, "::")))
    s["reject-ia-na-11-octets"] = msg(REPLY, 1, opt(IA_NA, bytes(11)))
    s["reject-duid-131-octets"] = msg(SOLICIT, 1, opt(CLIENTID, DUID_MAX + b"\x00"))
    s["reject-duid-2-octets"] = msg(SOLICIT, 1, opt(CLIENTID, u16(3)))
    s["reject-name-compression-pointer"] = msg(REPLY, 1, opt(CLIENT_FQDN, u8(1), b"\xc0\x0c"))
    s["reject-name-256-octets"] = msg(
        REPLY, 1, opt(DOMAIN_LIST, raw_labels([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 63])))
    s["reject-name-label-past-end"] = msg(REPLY, 1, opt(CLIENT_FQDN, u8(1), b"\x05abc"))
    s["reject-elapsed-time-3-octets"] = msg(SOLICIT, 1, opt(ELAPSED_TIME, b"\x00\x00\x00"))
    s["reject-oro-odd-length"] = msg(SOLICIT, 1, opt(ORO, b"\x00\x17\x00"))
    s["reject-user-class-item-past-end"] = msg(SOLICIT, 1, opt(USER_CLASS, u16(9), b"short"))
    s["reject-rapid-commit-with-body"] = msg(SOLICIT, 1, opt(RAPID_COMMIT, b"\x01"))
    return s


def nest_relays(inner, depth):
    """@p inner wrapped in @p depth RELAY-FORW layers."""
    m = inner
    for d in range(depth):
        m = relay(RELAY_FORW, d, "::", "fe80::1", opt(RELAY_MSG, m))
    return m


# ---- failover seeds (RFC 8156) --------------------------------------------------------------


def failover_seeds():
    s = {}
    cid = opt(CLIENTID, DUID_LLT)
    version = opt(F_PROTOCOL_VERSION, u16(1), u16(0))
    config = [version, opt(F_MCLT, u32(3600)), opt(F_KEEPALIVE_TIME, u32(60)),
              opt(F_MAX_UNACKED_BNDUPD, u32(10)), opt(F_CONNECT_FLAGS, u16(0x0001))]

    # §6.1: CONNECT / CONNECTREPLY.
    s["connect"] = fo(CONNECT, 1, T0, *config, opt(F_RELATIONSHIP_NAME, b"rel-1"))
    s["connect-no-name"] = fo(CONNECT, 2, T0, *config[:4], opt(F_CONNECT_FLAGS, u16(0)))
    s["connect-utf8-name"] = fo(CONNECT, 3, T0, *config,
                                opt(F_RELATIONSHIP_NAME, "réseau-north-東".encode()))
    s["connectreply"] = fo(CONNECTREPLY, 1, T0 + 1, *config)
    s["connectreply-reject-skew"] = fo(CONNECTREPLY, 1, T0 + 9,
                                       status(22, "time skew 9 s exceeds 5 s"))
    s["connectreply-reject-version"] = fo(CONNECTREPLY, 1, T0,
                                          opt(F_PROTOCOL_VERSION, u16(2), u16(1)),
                                          status(14, "protocol version 2.1 not supported"))

    # §6.3: STATE, one per endpoint state; PARTNER_DOWN_TIME only in PARTNER-DOWN.
    flags = {2: 0x05, 3: 0x01, 4: 0x01, 5: 0x01, 6: 0x00, 7: 0x01, 8: 0x01, 9: 0x01, 10: 0x01}
    names = {2: "normal", 3: "communications-interrupted", 4: "partner-down",
             5: "potential-conflict", 6: "recover", 7: "recover-wait", 8: "recover-done",
             9: "resolution-interrupted", 10: "conflict-done"}
    for st, label in names.items():
        extra = [opt(F_PARTNER_DOWN_TIME, u32(T0 - 600))] if st == 4 else []
        s["state-" + label] = fo(STATE, 0x100 + st, T0, opt(F_SERVER_STATE, u8(st)),
                                 opt(F_SERVER_FLAGS, u8(flags[st])),
                                 opt(F_START_TIME_OF_STATE, u32(T0 - 60)), *extra)
    s["state-startup-flag"] = fo(STATE, 0x111, T0, opt(F_SERVER_STATE, u8(3)),
                                 opt(F_SERVER_FLAGS, u8(0x02)),
                                 opt(F_START_TIME_OF_STATE, u32(T0)))

    # §7.4: BNDUPD client form, IA_NA > IAADDR with the full lease option set.
    lease_opts = [opt(F_BINDING_STATUS, u8(1)), opt(F_START_TIME_OF_STATE, u32(T0 - 100)),
                  opt(F_STATE_EXPIRATION_TIME, u32(T0 + 7200)), opt(CLT_TIME, u32(5)),
                  opt(F_PARTNER_LIFETIME, u32(T0 + 7200 + 3600)),
                  opt(F_PARTNER_RAW_CLT_TIME, u32(T0 - 400)),
                  opt(F_EXPIRATION_TIME, u32(T0 + 3600))]
    dns = opt(F_DNS_REMOVAL_INFO, opt(F_DNS_HOST_NAME, name("host1.example.com.")),
              opt(F_DNS_ZONE_NAME, name("example.com.")), opt(F_DNS_FLAGS, u16(0x000B)))
    s["bndupd-client-ia-na"] = fo(
        BNDUPD, 0x200, T0,
        opt(CLIENT_DATA, cid, opt(LQ_BASE_TIME, u32(T0)),
            ia_na(1, 1800, 2880,
                  iaaddr("2001:db8:1::11", 3600, 7200, *lease_opts,
                         opt(CLIENT_FQDN, u8(0x01), name("host1.example.com.")), dns))))
    s["bndupd-client-ia-pd"] = fo(
        BNDUPD, 0x201, T0,
        opt(CLIENT_DATA, opt(CLIENTID, DUID_EN), opt(LQ_BASE_TIME, u32(T0)),
            ia_pd(2, 1800, 2880, iaprefix(3600, 7200, 56, "2001:db8:ff00::", *lease_opts))))
    s["bndupd-client-everything"] = fo(
        BNDUPD, 0x202, T0,
        opt(CLIENT_DATA, opt(CLIENTID, DUID_UUID), opt(LQ_BASE_TIME, u32(T0)),
            opt(VSS, u8(0), b"vpn-blue"),
            opt(F_RECONFIGURE_DATA, u32(T0 - 86400), bytes(range(16))),
            opt(LQ_RELAY_DATA, addr("2001:db8:1::1"),
                relay(RELAY_FORW, 0, "2001:db8:1::1", "fe80::1", opt(INTERFACE_ID, b"eth1"),
                      opt(RELAY_MSG, msg(REQUEST, 5, opt(CLIENTID, DUID_UUID))))),
            ia_na(1, 1800, 2880, iaaddr("2001:db8:1::11", 3600, 7200, *lease_opts),
                  iaaddr("2001:db8:1::13", 3600, 7200, *lease_opts)),
            ia_ta(3, iaaddr("2001:db8:1:0:a::1", 300, 600, *lease_opts)),
            ia_pd(2, 1800, 2880, iaprefix(3600, 7200, 60, "2001:db8:ff10::", *lease_opts))))
    # A status without a timeout carries no expiration / partner-lifetime options (§7.4 *).
    s["bndupd-client-released"] = fo(
        BNDUPD, 0x203, T0,
        opt(CLIENT_DATA, cid, opt(LQ_BASE_TIME, u32(T0)),
            ia_na(1, 0, 0, iaaddr("2001:db8:1::11", 0, 0, opt(F_BINDING_STATUS, u8(3)),
                                  opt(F_START_TIME_OF_STATE, u32(T0)),
                                  opt(CLT_TIME, u32(0))))))
    # §7.4 prefix form: one top-level IAPREFIX of a delegable prefix (FREE-BACKUP).
    s["bndupd-prefix-free-backup"] = fo(
        BNDUPD, 0x204, T0,
        iaprefix(0, 0, 48, "2001:db8:8000::", opt(LQ_BASE_TIME, u32(T0)),
                 opt(F_BINDING_STATUS, u8(6)), opt(F_START_TIME_OF_STATE, u32(T0))))
    s["bndupd-prefix-vss-timeouts"] = fo(
        BNDUPD, 0x205, T0,
        iaprefix(0, 0, 56, "2001:db8:8100::", opt(VSS, u8(255)), opt(LQ_BASE_TIME, u32(T0)),
                 opt(F_BINDING_STATUS, u8(2)), opt(F_START_TIME_OF_STATE, u32(T0 - 10)),
                 opt(F_STATE_EXPIRATION_TIME, u32(T0 + 3600)),
                 opt(F_PARTNER_LIFETIME, u32(T0 + 3600)),
                 opt(F_EXPIRATION_TIME, u32(T0 + 3600))))

    # §7.6: BNDREPLY, success and rejection at each level.
    s["bndreply-client-ok"] = fo(
        BNDREPLY, 0x200, T0 + 1,
        opt(CLIENT_DATA, cid,
            ia_na(1, 1800, 2880,
                  iaaddr("2001:db8:1::11", 3600, 7200, opt(F_BINDING_STATUS, u8(1)),
                         opt(F_STATE_EXPIRATION_TIME, u32(T0 + 7200)),
                         opt(F_PARTNER_LIFETIME_SENT, u32(T0 + 7200 + 3600)),
                         status(0, "ok")))))
    s["bndreply-client-reject-outer"] = fo(
        BNDREPLY, 0x201, T0 + 1,
        opt(CLIENT_DATA, opt(CLIENTID, DUID_EN), status(19, "outdated binding information")))
    s["bndreply-client-reject-ia"] = fo(
        BNDREPLY, 0x202, T0 + 1,
        opt(CLIENT_DATA, opt(CLIENTID, DUID_UUID), opt(VSS, u8(0), b"vpn-blue"),
            ia_pd(2, 1800, 2880, status(18, "missing binding information"),
                  iaprefix(3600, 7200, 60, "2001:db8:ff10::", opt(F_BINDING_STATUS, u8(1)),
                           opt(F_PARTNER_LIFETIME_SENT, u32(T0 + 3600))))))
    s["bndreply-prefix"] = fo(
        BNDREPLY, 0x204, T0 + 1,
        iaprefix(0, 0, 48, "2001:db8:8000::", opt(F_BINDING_STATUS, u8(6)),
                 opt(F_PARTNER_LIFETIME_SENT, u32(0)), status(16, "address in use")))

    # §7.2, §7.3, §7.7: the option-less messages, and DISCONNECT with its reason.
    s["poolreq"] = fo(POOLREQ, 0x300, T0)
    s["poolresp"] = fo(POOLRESP, 0x300, T0)
    s["updreq"] = fo(UPDREQ, 0x301, T0)
    s["updreqall"] = fo(UPDREQALL, 0xFFFFFF, T0)
    s["upddone"] = fo(UPDDONE, 0x301, T0 + 30)
    s["contact"] = fo(CONTACT, 0x302, 0xFFFFFFFF)
    s["disconnect"] = fo(DISCONNECT, 0x303, T0, status(20, "server shutting down"))
    s["disconnect-mclt-mismatch"] = fo(DISCONNECT, 0x304, T0,
                                       status(17, "MCLT 3600 differs from configured 1800"))

    # §10 / RFC 7653 §8.2: STARTTLS and the REPLY to it, with and without sent-time (A7).
    s["starttls-with-sent-time"] = fo(STARTTLS, 0x400, T0)
    s["starttls-without-sent-time"] = fo_plain(STARTTLS, 0x401)
    s["starttls-with-sent-time-option"] = fo(STARTTLS, 0x402, T0, opt(INTERFACE_ID, b"x"))
    s["reply-go-ahead"] = fo(REPLY, 0x400, T0)
    s["reply-go-ahead-without-sent-time"] = fo_plain(REPLY, 0x401)
    s["reply-tls-refused"] = fo(REPLY, 0x400, T0, status(15, "TLS connection refused"))
    s["reply-tls-refused-without-sent-time"] = fo_plain(REPLY, 0x401, status(15, "no TLS"))
    s["bndupd-unknown-option"] = fo(BNDUPD, 0x500, T0, opt(60001, b"future"),
                                    opt(CLIENT_DATA, cid, opt(60002)))

    # The malformed-input policy at its boundaries: MAX_NESTING (48) containers, header sizes.
    nested = opt(CLIENT_DATA, cid)
    for _ in range(47):
        nested = opt(CLIENT_DATA, nested)
    s["bndupd-nesting-48"] = fo(BNDUPD, 0x501, T0, nested)
    s["reject-bndupd-nesting-49"] = fo(BNDUPD, 0x502, T0, opt(CLIENT_DATA, nested))
    s["reject-empty"] = b""
    s["reject-header-7-octets"] = fo(CONTACT, 1, T0)[:7]
    s["reject-starttls-3-octets"] = fo_plain(STARTTLS, 1)[:3]
    s["reject-dhcpv6-type-on-failover"] = fo(SOLICIT, 1, T0)
    s["reject-mclt-3-octets"] = fo(CONNECT, 1, T0, opt(F_MCLT, b"\x00\x0e\x10"))
    s["reject-protocol-version-2-octets"] = fo(CONNECT, 1, T0, opt(F_PROTOCOL_VERSION, u16(1)))
    s["reject-option-runs-past-end"] = fo(STATE, 1, T0, opt(F_SERVER_STATE, u8(2)))[:-1]
    s["reject-reply-bad-options-both-forms"] = fo_plain(REPLY, 1, b"\x00\x0d\x00\x09\x00")
    return s


# ---- frames seeds (layout: fuzz_frames.cc) ---------------------------------------------------


def frame(m):
    return u16(len(m)) + m


def control(n_sizes, repeat=1, lazy=False):
    assert 0 <= n_sizes <= 15 and 1 <= repeat <= 8
    return u8((0x80 if lazy else 0) | ((repeat - 1) << 4) | n_sizes)


def frames_seeds(fo_seeds):
    s = {}
    f = {k: frame(v) for k, v in fo_seeds.items()}
    handshake = f["connect"] + f["connectreply"] + f["state-normal"] + f["state-normal"]
    session = (handshake + f["poolreq"] + f["bndupd-prefix-free-backup"] + f["poolresp"]
               + f["bndreply-prefix"] + f["bndupd-client-ia-na"] + f["bndreply-client-ok"]
               + f["updreq"] + f["bndupd-client-ia-pd"] + f["upddone"] + f["contact"]
               + f["disconnect"])
    s["whole-session-one-feed"] = control(0) + session
    s["handshake-one-octet-at-a-time"] = control(1) + u8(1) + handshake
    s["handshake-odd-chunks"] = control(4) + bytes([3, 0, 7, 0xF1]) + handshake
    s["session-lazy-drain"] = control(3, lazy=True) + bytes([1, 100, 2]) + session
    s["starttls-then-tls-refused"] = (control(2) + bytes([5, 9]) + f["starttls-with-sent-time"]
                                      + f["reply-tls-refused-without-sent-time"])
    s["partial-last-frame"] = control(1) + u8(13) + handshake + f["bndupd-client-ia-na"][:-7]
    s["length-prefix-only"] = control(0) + handshake + b"\x01"
    s["reject-empty-frame-between"] = control(0) + f["contact"] + u16(0) + f["contact"]
    s["reject-no-complete-frame"] = control(1) + u8(1) + f["connect"][:-1]
    # Repeated streams drive the splitter past its 4096-octet compaction threshold.
    s["repeat-8-lazy"] = (control(2, repeat=8, lazy=True) + bytes([0xF3, 200])
                          + f["bndupd-client-everything"] + f["bndreply-client-ok"])
    s["repeat-5-unaligned"] = control(1, repeat=5) + u8(0xEF) + f["connect"] + f["contact"][:5]
    s["big-chunks"] = control(2) + bytes([0xFF, 0xF0]) + session
    return s


def json_seeds(dhcp6, failover):
    s = {"dhcp6-" + k: b"\x00" + v for k, v in dhcp6.items() if not k.startswith("reject-")}
    s.update({"failover-" + k: b"\x01" + v for k, v in failover.items()
              if not k.startswith("reject-")})
    s["reject-empty"] = b""
    s["reject-selector-only"] = b"\x01"
    return s


# ---- captures -------------------------------------------------------------------------------


def capture_seeds(captures):
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import UDP, rdpcap  # pylint: disable=import-outside-toplevel

    s = {}
    seen = set()
    files = sorted(glob.glob(os.path.join(captures, "*.pcap")) +
                   glob.glob(os.path.join(captures, "*.pcapng")))
    if not files:
        sys.exit("make_corpus.py: no captures in %s" % captures)
    for path in files:
        base = os.path.basename(path).rsplit(".", 1)[0]
        for i, pkt in enumerate(rdpcap(path), 1):
            if UDP not in pkt or not {pkt[UDP].sport, pkt[UDP].dport} & {546, 547}:
                continue
            payload = bytes(pkt[UDP].payload)
            if payload in seen:
                continue
            seen.add(payload)
            s["capture-%s-%d" % (base, i)] = payload
    return s


# ---- main -----------------------------------------------------------------------------------


def write_dir(path, seeds, max_len=None):
    os.makedirs(path, exist_ok=True)
    for old in os.listdir(path):
        if not old.startswith("."):
            os.remove(os.path.join(path, old))
    for label, data in sorted(seeds.items()):
        assert max_len is None or len(data) <= max_len, (label, len(data))
        with open(os.path.join(path, label), "wb") as f:
            f.write(data)
    print("%-40s %3d seeds, %6d octets" % (path, len(seeds), sum(map(len, seeds.values()))))


def endpoint_seeds(failover):
    """fuzz_endpoint inputs: a role octet (even: the endpoint is the secondary, odd: the
    primary), then a stream of 2-octet-framed messages from the partner."""
    def frame(m):
        return u16(len(m)) + m
    s = {}
    hello = frame(failover["connect"]) + frame(failover["state-startup-flag"])
    s["secondary-handshake"] = b"\x00" + hello
    for name in ("bndupd-client-ia-na", "bndupd-client-ia-pd", "bndupd-client-everything",
                 "bndupd-client-released", "bndupd-prefix-free-backup", "updreq", "updreqall",
                 "poolreq", "upddone", "contact", "disconnect", "bndreply-client-ok"):
        s["secondary-" + name] = b"\x00" + hello + frame(failover[name])
    s["primary-handshake"] = b"\x01" + frame(failover["connectreply"]) + \
        frame(failover["state-startup-flag"])
    for name in ("bndupd-client-ia-na", "poolreq", "updreqall", "bndreply-client-ok",
                 "connectreply-reject-skew", "connectreply-reject-version"):
        s["primary-" + name] = b"\x01" + frame(failover["connectreply"]) + \
            frame(failover["state-startup-flag"]) + frame(failover[name])
    s["secondary-everything"] = b"\x00" + hello + b"".join(
        frame(v) for k, v in sorted(failover.items()) if not k.startswith("reject-"))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--captures", default=DEFAULT_CAPTURES)
    args = ap.parse_args()

    dhcp6 = capture_seeds(args.captures)
    dhcp6.update(dhcp6_seeds())
    failover = failover_seeds()
    write_dir(os.path.join(args.out, "dhcp6"), dhcp6)
    write_dir(os.path.join(args.out, "failover"), failover)
    write_dir(os.path.join(args.out, "frames"), frames_seeds(failover), max_len=4096)
    write_dir(os.path.join(args.out, "json"), json_seeds(dhcp6, failover))
    write_dir(os.path.join(args.out, "endpoint"), endpoint_seeds(failover), max_len=65536)


if __name__ == "__main__":
    main()
