"""Cross-check of the codec against tshark 4.0, an independent decoder.

Messages are built with the failover6 package, encoded, written into a pcap with scapy and
read back with ``tshark -T pdml``; every value tshark dissects must equal what was encoded,
and tshark must raise no warning or error (no ``_ws.malformed``, no ``_ws.expert`` of
severity Warning or Error) on any frame.

- DHCPv6 on UDP: at least one message of every type 1..13, relays nested 1..3 deep with
  INTERFACE_ID / REMOTE_ID / SUBSCRIBER_ID, and between them every option the codec has that
  tshark knows, CLIENTID and SERVERID each with every DUID type.
- RFC 8156 on TCP 647, 2-octet framed, one connection with a handshake, both directions,
  messages split across segments and several in one segment, decoded with
  ``-d tcp.port==647,dhcpv6.bulk_leasequery`` (DESIGN.md, notes on the dependencies). That
  dissector knows RFC 5460 only, so: the message type is "not allowed" (a Warning, the one
  expert info accepted here); the 3-octet xid is split into "reserved" (1 octet) + "trans_id"
  (2 octets); and the 4-octet sent-time is read as an option header (code = high 16 bits,
  length = low 16 bits). The sent-times here have their low 16 bits zero, so tshark reads an
  empty option there and stays aligned on the real options, and that pseudo-option's code
  checks the sent-time.

tshark 4.0 shows no value for SOL_MAX_RT, INF_MAX_RT, LQ_BASE_TIME, VSS and the content of
F_DNS_REMOVAL_INFO: for those the option as tshark delimits it must equal the octets written
out here by hand from the RFC layout. It shows only the first VENDOR_CLASS item (its field
running to the end of the option); that is checked as such. LQ_RELAY_DATA (47) is left out:
tshark 4.0 shows its relay message as a string, with a "trailing stray characters" warning.

tshark is read as PDML rather than ``-T json``: the JSON output repeats keys (every option is a
"dhcpv6.option.type_str" key of the same object), which json.loads collapses, while PDML keeps
the tree in order. Expert infos are the same in both: a "_ws.expert" node holding
"_ws.expert.severity" (0x00600000 Warning, 0x00800000 Error) and the field that raised it,
next to a "_ws.malformed" node when the packet is malformed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Callable

import pytest

from failover6 import (
    Auth,
    BindingStatus,
    ClientData,
    ClientFqdn,
    ClientId,
    CltTime,
    DnsServers,
    DomainList,
    Duid,
    ElapsedTime,
    FailoverMessage,
    FBindingStatus,
    FConnectFlags,
    FDnsFlags,
    FDnsHostName,
    FDnsRemovalInfo,
    FDnsZoneName,
    FExpirationTime,
    FKeepaliveTime,
    FMaxUnackedBndupd,
    FMclt,
    FPartnerDownTime,
    FPartnerLifetime,
    FPartnerLifetimeSent,
    FPartnerRawCltTime,
    FProtocolVersion,
    FReconfigureData,
    FRelationshipName,
    FServerFlags,
    FServerState,
    FStartTimeOfState,
    FStateExpirationTime,
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    IaTa,
    InfMaxRt,
    InformationRefreshTime,
    InterfaceId,
    LqBaseTime,
    Message,
    MessageType,
    Option,
    OptionRequest,
    Preference,
    RapidCommit,
    ReconfAccept,
    ReconfMsg,
    RelayId,
    RelayMessage,
    RelayMsg,
    RemoteId,
    ServerId,
    ServerState,
    SolMaxRt,
    StatusCode,
    StatusCodeOption,
    SubscriberId,
    Unicast,
    UserClass,
    VendorClass,
    VendorOpts,
    VendorSubOption,
    Vss,
)

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

# Expert-info severities (epan/proto.h PI_SEVERITY_MASK values).
PI_WARN = 0x00600000

# ---- DUIDs, with the values tshark must find in them --------------------------------------

_DUID_FIELDS: dict[bytes, dict[str, Any]] = {}


def _llt(hw: int, time: int, ll: bytes) -> Duid:
    d = Duid.llt(hw, time, ll)
    _DUID_FIELDS[d.raw] = {"type": 1, "hwtype": hw, "time": time, "ll": ll}
    return d


def _en(enterprise: int, ident: bytes) -> Duid:
    d = Duid.en(enterprise, ident)
    _DUID_FIELDS[d.raw] = {"type": 2, "enterprise": enterprise, "id": ident}
    return d


def _ll(hw: int, ll: bytes) -> Duid:
    d = Duid.ll(hw, ll)
    _DUID_FIELDS[d.raw] = {"type": 3, "hwtype": hw, "ll": ll}
    return d


def _uuid(u: uuid.UUID) -> Duid:
    d = Duid.uuid(u)
    _DUID_FIELDS[d.raw] = {"type": 4, "uuid": u.bytes}
    return d


H = bytes.fromhex
C_LLT = _llt(1, 0x2A2B2C2D, H("001122334455"))
C_LL = _ll(1, H("a0a1a2a3a4a5"))
C_UUID = _uuid(uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"))
C_EN = _en(32473, H("c1c2c3c4c5c6c7c8c9"))
C_LL_EUI64 = _ll(27, H("0201030405060708"))  # EUI-64 hardware type, 8-octet address
S_EN = _en(9, H("0102030405"))
S_UUID = _uuid(uuid.UUID("0f0e0d0c-0b0a-0908-0706-050403020100"))
S_LLT = _llt(6, 0xFFFFFFFF, H("5e0000000053"))
S_LL = _ll(1, H("5e0000000054"))

A = IPv6Address

# ---- the DHCPv6 messages ------------------------------------------------------------------


def relay(msg: Message | RelayMessage, depth: int, *, reply: bool = False) -> RelayMessage | Message:
    """@p msg inside @p depth relays, each with some of INTERFACE_ID/REMOTE_ID/SUBSCRIBER_ID."""
    kind = MessageType.RelayRepl if reply else MessageType.RelayForw
    per_hop: list[list[Option]] = [
        [InterfaceId(b"ge-0/0/1.100"), RemoteId(4491, H("00005e005301")), SubscriberId(b"sub-0001")],
        [RemoteId(32473, b"agg-7"), InterfaceId(H("00000007"))],
        [SubscriberId(b"circuit-3/1"), InterfaceId(b"core")],
    ]
    for hop in range(depth):
        msg = RelayMessage.wrap(msg, type=kind, link_address=f"2001:db8:{hop + 1}::1",
                                peer_address="fe80::1" if hop == 0 else f"2001:db8:{hop}::1",
                                options=per_hop[hop])
    return msg


IA1_ADDR = IaAddress("2001:db8:1::1001", 3600, 7200)
IA1_PREFIX = IaPrefix(3600, 7200, 56, "2001:db8:8000:100::")

# (name, message, sport, dport)
DHCP_CASES: list[tuple[str, Message | RelayMessage, int, int]] = [
    ("solicit", relay(Message(MessageType.Solicit, 0x000001, [
        ClientId(C_LLT), ElapsedTime(0), OptionRequest([23, 24, 39, 82, 83]),
        IaNa(0x01020304, 0, 0, []), IaTa(0x05060708, []),
        IaPd(0x0A0B0C0D, 0, 0, [IaPrefix(0, 0, 56, "::")]), RapidCommit(),
        UserClass([b"ucls", H("0001ff")]), VendorClass(32473, [b"vc-one", b"vc2", b""]),
        VendorOpts(32473, [VendorSubOption(1, b"ab"), VendorSubOption(300, b"")]),
        ReconfAccept(), ClientFqdn(ClientFqdn.S, "client1.example.com."),
    ]), 1), 547, 547),
    ("advertise", relay(Message(MessageType.Advertise, 0x000001, [
        ServerId(S_EN), ClientId(C_LLT),
        IaNa(0x01020304, 1800, 2880, [IaAddress("2001:db8:1::1001", 3600, 7200)]),
        IaTa(0x05060708, [IaAddress("2001:db8:1::2002", 600, 900)]),
        IaPd(0x0A0B0C0D, 1800, 2880, [IaPrefix(3600, 7200, 56, "2001:db8:8000:100::")]),
        Preference(200), StatusCodeOption(StatusCode.Success, "ok"),
        DnsServers(["2001:db8::53", "2001:db8::35"]),
        DomainList(["example.com.", "lab.example.org."]), SolMaxRt(7200), ReconfAccept(),
        ClientFqdn(ClientFqdn.S | ClientFqdn.O, "client1.example.com."),
    ]), 1, reply=True), 547, 547),
    ("request", relay(Message(MessageType.Request, 0xABCDEF, [
        ClientId(C_LL), ServerId(S_EN), ElapsedTime(150),
        IaNa(7, 1800, 2880, [IaAddress("2001:db8:1::1001", 0, 0)]),
        IaPd(8, 0, 0, [IaPrefix(0, 0, 56, "2001:db8:8000:100::")]),
        OptionRequest([23]), ClientFqdn(ClientFqdn.N, "client1"),
        Auth(2, 1, 0, 0x0102030405060708, H("aa") * 20),
    ]), 2), 547, 547),
    ("confirm", relay(Message(MessageType.Confirm, 0xFFFFFF, [
        ClientId(C_UUID), ElapsedTime(65534),
        IaNa(7, 0, 0, [IaAddress("2001:db8:1::1001", 0, 0), IaAddress("2001:db8:1::1003", 0, 0)]),
    ]), 3), 547, 547),
    ("renew", Message(MessageType.Renew, 0x123456, [
        ClientId(C_LL), ServerId(S_UUID), ElapsedTime(1),
        IaNa(7, 1800, 2880, [IaAddress("2001:db8:1::1001", 3600, 7200)]),
        IaPd(8, 1800, 2880, [IaPrefix(3600, 7200, 56, "2001:db8:8000:100::")]),
        OptionRequest([23, 24]), ClientFqdn(0, "client1.example.com."),
    ]), 546, 547),
    ("rebind", relay(Message(MessageType.Rebind, 0x654321, [
        ClientId(C_LLT), ElapsedTime(300),
        IaNa(1, 0, 0, [IaAddress("2001:db8:1::1001", 3600, 7200)]),
        IaTa(2, [IaAddress("2001:db8:1::2002", 600, 900)]),
        IaPd(3, 0, 0, [IaPrefix(3600, 7200, 48, "2001:db8:9000::")]),
    ]), 1), 547, 547),
    ("reply", relay(Message(MessageType.Reply, 0xABCDEF, [
        ServerId(S_EN), ClientId(C_LL),
        IaNa(7, 1800, 2880, [IaAddress("2001:db8:1::1001", 3600, 7200, [
            StatusCodeOption(StatusCode.Success, "assigned")]),
            StatusCodeOption(StatusCode.Success, "")]),
        IaTa(9, [IaAddress("2001:db8:1::2002", 600, 900)]),
        IaPd(8, 1800, 2880, [IaPrefix(3600, 7200, 56, "2001:db8:8000:100::", [
            StatusCodeOption(StatusCode.Success, "delegated")])]),
        IaNa(10, 0, 0, [StatusCodeOption(StatusCode.NoAddrsAvail, "pool exhausted")]),
        Unicast("2001:db8::547"), DnsServers(["2001:db8::53"]), DomainList(["example.com."]),
        RapidCommit(), ReconfAccept(), Auth(3, 1, 0, 1, H("01") + bytes(range(16))),
        ClientFqdn(ClientFqdn.S | ClientFqdn.O, "client1.example.com."),
        StatusCodeOption(StatusCode.Success, "All addresses were assigned."),
        SolMaxRt(3600),
    ]), 3, reply=True), 547, 547),
    ("release", relay(Message(MessageType.Release, 0x0000FF, [
        ClientId(C_LLT), ServerId(S_EN), ElapsedTime(0),
        IaNa(7, 0, 0, [IaAddress("2001:db8:1::1001", 0, 0)]),
        IaPd(8, 0, 0, [IaPrefix(0, 0, 56, "2001:db8:8000:100::")]),
    ]), 2), 547, 547),
    ("decline", Message(MessageType.Decline, 0x00FF00, [
        ClientId(C_UUID), ServerId(S_EN), ElapsedTime(20),
        IaNa(7, 0, 0, [IaAddress("2001:db8:1::1001", 0, 0)]),
    ]), 546, 547),
    ("reconfigure", relay(Message(MessageType.Reconfigure, 0x000000, [
        ServerId(S_LL), ClientId(C_LL_EUI64), ReconfMsg(5),
        Auth(3, 1, 0, 2, H("02") + H("5a") * 16),
    ]), 2, reply=True), 547, 547),
    ("reconfigure-inforeq", Message(MessageType.Reconfigure, 0x000001, [
        ServerId(S_LLT), ClientId(C_EN), ReconfMsg(11), Auth(3, 1, 0, 3, H("02") + H("a5") * 16),
    ]), 547, 546),
    ("information-request", Message(MessageType.InformationRequest, 0x7E57ED, [
        ClientId(C_EN), ElapsedTime(0), OptionRequest([23, 24, 32, 83]),
        UserClass([b"lab"]), VendorClass(4491, [b"docsis3.0"]),
    ]), 546, 547),
    ("reply-inforeq", Message(MessageType.Reply, 0x7E57ED, [
        ServerId(S_LLT), ClientId(C_EN), DnsServers(["2001:db8::53", "2001:db8::35", "2001:db8::5353"]),
        DomainList(["corp.example.com.", "example.net."]), InformationRefreshTime(86400), InfMaxRt(3600),
    ]), 547, 546),
]

# ---- the failover messages ----------------------------------------------------------------

T0 = 0x2F000000  # a sent-time (seconds since 2000); every sent-time below has low 16 bits 0
CL_ADDR = "2001:db8:1::1001"
CL_PREFIX = "2001:db8:8000:100::"


def sent(i: int) -> int:
    return T0 + (i << 16)


def _dns_removal() -> FDnsRemovalInfo:
    return FDnsRemovalInfo([FDnsHostName("client1.example.com."), FDnsZoneName("example.com."),
                            FDnsFlags(FDnsFlags.U | FDnsFlags.F)])


BNDUPD_CLIENT = FailoverMessage(MessageType.BndUpd, 0x010203, sent(2), True, [ClientData([
    ClientId(C_LL), LqBaseTime(T0 + 100), Vss(1, b"vpn-blue"), FReconfigureData(T0 - 50, bytes(range(16))),
    RelayId(S_UUID),
    IaNa(7, 1800, 2880, [IaAddress(CL_ADDR, 3600, 7200, [
        FBindingStatus(BindingStatus.Active), FStartTimeOfState(T0 + 10), FStateExpirationTime(T0 + 7210),
        CltTime(30), FPartnerLifetime(T0 + 90000), FPartnerRawCltTime(T0 + 5), FExpirationTime(T0 + 80000),
        _dns_removal()])]),
    IaPd(8, 1800, 2880, [IaPrefix(3600, 7200, 56, CL_PREFIX, [
        FBindingStatus(BindingStatus.Active), FStartTimeOfState(T0 + 11), FStateExpirationTime(T0 + 7211),
        CltTime(31), FPartnerLifetime(T0 + 90001)])]),
])])
# A RELEASED lease (no timeout: no expiration options). F_DNS_HOST_NAME, _ZONE_NAME and _FLAGS
# also appear bare in its IAADDR, since tshark does not look inside F_DNS_REMOVAL_INFO.
BNDUPD_CLIENT_TA = FailoverMessage(MessageType.BndUpd, 0x010204, sent(3), True, [ClientData([
    ClientId(C_UUID), LqBaseTime(T0 + 101),
    IaTa(9, [IaAddress("2001:db8:1::2002", 0, 0, [
        FBindingStatus(BindingStatus.Released), FStartTimeOfState(T0 + 12), CltTime(0),
        FDnsHostName("tmp1.example.com."), FDnsZoneName("example.com."),
        FDnsFlags(FDnsFlags.S | FDnsFlags.R)])]),
])])
BNDUPD_PREFIX = FailoverMessage(MessageType.BndUpd, 0x010205, sent(4), True, [
    IaPrefix(0, 0, 48, "2001:db8:9000::", [
        LqBaseTime(T0 + 102), FBindingStatus(BindingStatus.FreeBackup), FStartTimeOfState(T0 + 13)]),
])

# Primary (A, connects) -> secondary (B, port 647), and B -> A, in the order they are sent.
FO_A_TO_B: list[FailoverMessage] = [
    FailoverMessage(MessageType.Connect, 0x000001, sent(0), True, [
        FProtocolVersion(1, 0), FMclt(3600), FKeepaliveTime(60), FMaxUnackedBndupd(64),
        FConnectFlags(FConnectFlags.FIXED_PD_LENGTH), FRelationshipName("pair-1")]),
    FailoverMessage(MessageType.State, 0x000002, sent(1), True, [
        FServerState(ServerState.Normal), FServerFlags(FServerFlags.COMMUNICATED),
        FStartTimeOfState(T0 - 3600)]),
    BNDUPD_CLIENT,
    BNDUPD_CLIENT_TA,
    BNDUPD_PREFIX,
    FailoverMessage(MessageType.PoolResp, 0x800001, sent(5), True, []),
    FailoverMessage(MessageType.UpdReq, 0x000010, sent(6), True, []),
    FailoverMessage(MessageType.UpdDone, 0x800002, sent(7), True, []),
    FailoverMessage(MessageType.Contact, 0x000011, sent(8), True, []),
    FailoverMessage(MessageType.Disconnect, 0x000012, sent(9), True, [
        StatusCodeOption(StatusCode.ServerShuttingDown, "maintenance window")]),
]
FO_B_TO_A: list[FailoverMessage] = [
    FailoverMessage(MessageType.ConnectReply, 0x000001, sent(0), True, [
        FProtocolVersion(1, 0), FMclt(3600), FKeepaliveTime(30), FMaxUnackedBndupd(100),
        FConnectFlags(FConnectFlags.FIXED_PD_LENGTH)]),
    FailoverMessage(MessageType.State, 0x800000, sent(1), True, [
        FServerState(ServerState.PartnerDown),
        FServerFlags(FServerFlags.COMMUNICATED | FServerFlags.ACK_STARTUP),
        FStartTimeOfState(T0 - 7200), FPartnerDownTime(T0 - 7200)]),
    FailoverMessage(MessageType.BndReply, 0x010203, sent(2), True, [ClientData([
        ClientId(C_LL),
        IaNa(7, 1800, 2880, [IaAddress(CL_ADDR, 3600, 7200, [
            FBindingStatus(BindingStatus.Active), FStateExpirationTime(T0 + 7210),
            FPartnerLifetimeSent(T0 + 90000)])]),
        IaPd(8, 1800, 2880, [IaPrefix(3600, 7200, 56, CL_PREFIX, [
            StatusCodeOption(StatusCode.AddressInUse, "held by another client"),
            FBindingStatus(BindingStatus.Active), FStateExpirationTime(T0 + 7211),
            FPartnerLifetimeSent(T0 + 90001)])]),
    ])]),
    FailoverMessage(MessageType.BndReply, 0x010205, sent(3), True, [
        IaPrefix(0, 0, 48, "2001:db8:9000::", [
            StatusCodeOption(StatusCode.OutdatedBindingInformation, "newer data here"),
            FBindingStatus(BindingStatus.FreeBackup), FPartnerLifetimeSent(0)]),
    ]),
    FailoverMessage(MessageType.PoolReq, 0x800001, sent(4), True, []),
    FailoverMessage(MessageType.UpdReqAll, 0x800002, sent(5), True, []),
    FailoverMessage(MessageType.Contact, 0x800003, sent(6), True, []),
]

# ---- writing the captures -----------------------------------------------------------------

HOST_A, HOST_B = "2001:db8:ffff::a", "2001:db8:ffff::b"
PORT_A, PORT_B = 40647, 647


def write_dhcp_pcap(path: Path) -> None:
    from scapy.all import UDP, Ether, IPv6, Raw, wrpcap

    frames = []
    for i, (_, msg, sport, dport) in enumerate(DHCP_CASES):
        ip = IPv6(src=f"2001:db8:1::{i + 1:x}", dst="2001:db8::547" if dport == 547 else "fe80::1")
        p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip / UDP(sport=sport, dport=dport) / Raw(msg.encode())
        p.time = 1_700_000_000 + i
        frames.append(p)
    wrpcap(str(path), frames)


def _cuts(data: bytes, msgs: list[FailoverMessage]) -> list[bytes]:
    """Segments of @p data: boundaries inside messages as well as between them, and some
    segments holding two or more messages."""
    ends = []
    n = 0
    for m in msgs:
        n += len(m.encode(framed=True))
        ends.append(n)
    cut = {1, 5, ends[0] + 3, ends[1], ends[3] - 40, ends[4], ends[len(ends) - 2] + 1}
    points = sorted(c for c in cut if 0 < c < len(data)) + [len(data)]
    out, start = [], 0
    for p in points:
        out.append(data[start:p])
        start = p
    return out


def write_failover_pcap(path: Path) -> None:
    from scapy.all import TCP, Ether, IPv6, Raw, wrpcap

    a_data = b"".join(m.encode(framed=True) for m in FO_A_TO_B)
    b_data = b"".join(m.encode(framed=True) for m in FO_B_TO_A)
    a_segs, b_segs = _cuts(a_data, FO_A_TO_B), _cuts(b_data, FO_B_TO_A)
    isn_a, isn_b = 0x10000000, 0x70000000
    t = [1_700_000_100.0]

    def pkt(a_to_b: bool, flags: str, seq: int, ack: int, payload: bytes = b"") -> Any:
        ip = IPv6(src=HOST_A, dst=HOST_B) if a_to_b else IPv6(src=HOST_B, dst=HOST_A)
        tcp = TCP(sport=PORT_A, dport=PORT_B, flags=flags, seq=seq, ack=ack, window=65535) if a_to_b \
            else TCP(sport=PORT_B, dport=PORT_A, flags=flags, seq=seq, ack=ack, window=65535)
        p = Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") / ip / tcp
        if payload:
            p = p / Raw(payload)
        t[0] += 0.001
        p.time = t[0]
        return p

    frames = [pkt(True, "S", isn_a, 0), pkt(False, "SA", isn_b, isn_a + 1), pkt(True, "A", isn_a + 1, isn_b + 1)]
    a_seq, b_seq = isn_a + 1, isn_b + 1
    ai = bi = 0
    while ai < len(a_segs) or bi < len(b_segs):
        for _ in range(2):  # A sends up to two segments, then B up to one
            if ai < len(a_segs):
                frames.append(pkt(True, "PA", a_seq, b_seq, a_segs[ai]))
                a_seq += len(a_segs[ai])
                ai += 1
        if bi < len(b_segs):
            frames.append(pkt(False, "PA", b_seq, a_seq, b_segs[bi]))
            b_seq += len(b_segs[bi])
            bi += 1
    frames.append(pkt(True, "A", a_seq, b_seq))
    wrpcap(str(path), frames)


# ---- reading tshark's PDML ----------------------------------------------------------------


@dataclass
class TsNode:
    """A DHCPv6 message or option as tshark dissected it: its own fields by name (not those of
    nested options), its options in order, and for RELAY_MSG the relayed message."""

    fields: dict[str, list[ET.Element]] = field(default_factory=dict)
    options: list[TsNode] = field(default_factory=list)
    message: TsNode | None = None
    code: int = -1
    length: int = -1
    raw: bytes = b""

    def all(self, name: str) -> list[str]:
        return [e.get("show", "") for e in self.fields.get(name, [])]

    def one(self, name: str) -> str:
        values = self.all(name)
        assert len(values) == 1, f"tshark field {name}: {values} (option {self.code})"
        return values[0]

    def int(self, name: str, base: int = 10) -> int:
        return int(self.one(name), base)

    def octets(self, name: str) -> bytes:
        (e,) = self.fields.get(name, [None])  # type: ignore[list-item]
        assert e is not None, f"tshark field {name} missing (option {self.code})"
        return bytes.fromhex(e.get("value", ""))

    def all_octets(self, name: str) -> list[bytes]:
        return [bytes.fromhex(e.get("value", "")) for e in self.fields.get(name, [])]


def _collect(elem: ET.Element, node: TsNode) -> None:
    for c in elem:
        name = c.get("name", "")
        if c.tag == "proto":
            if name == "dhcpv6":
                node.message = ts_node(c)
            continue
        if name == "dhcpv6.option.type_str":
            node.options.append(ts_option(c))
            continue
        node.fields.setdefault(name, []).append(c)
        _collect(c, node)


def ts_node(elem: ET.Element) -> TsNode:
    node = TsNode()
    _collect(elem, node)
    return node


def ts_option(elem: ET.Element) -> TsNode:
    node = ts_node(elem)
    node.code = node.int("dhcpv6.option.type")
    node.length = node.int("dhcpv6.option.length")
    node.raw = bytes.fromhex(elem.get("value", ""))
    return node


def run_pdml(path: Path, *extra: str) -> list[ET.Element]:
    assert TSHARK is not None
    r = subprocess.run([TSHARK, "-n", "-r", str(path), *extra, "-T", "pdml"],
                       capture_output=True, check=False, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return ET.fromstring(r.stdout).findall("packet")


def expert_problems(packet: ET.Element, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Expert infos of severity Warning or Error and '_ws.malformed' markers in @p packet,
    except those whose expert info names a field in @p allowed."""
    parent = {c: p for p in packet.iter() for c in p}
    out = []
    excused: set[ET.Element] = set()
    for e in packet.iter("field"):
        if e.get("name") != "_ws.expert":
            continue
        sev = next((int(c.get("show", "0")) for c in e if c.get("name") == "_ws.expert.severity"), 0)
        names = {c.get("name") for c in e}
        if names & allowed:
            excused.add(parent[e])
            continue
        if sev >= PI_WARN:
            out.append(e.get("showname", "?"))
    for e in packet.iter("proto"):
        if e.get("name") == "_ws.malformed" and parent.get(e) not in excused:
            out.append(f"malformed: {parent.get(e, e).get('showname', '?')}")
    return out


# ---- comparing --------------------------------------------------------------------------------


def name_wire(name: str) -> bytes:
    """RFC 1035 wire form of a presentation-form name ('a.b.' fully qualified)."""
    labels = [x for x in name.split(".") if x]
    out = b"".join(bytes([len(x)]) + x.encode() for x in labels)
    return out + (b"\x00" if name.endswith(".") else b"")


def tlv(code: int, body: bytes) -> bytes:
    return struct.pack("!HH", code, len(body)) + body


def check_duid(t: TsNode, duid: Duid, w: str) -> None:
    want = _DUID_FIELDS[duid.raw]
    assert t.octets("dhcpv6.duid.bytes") == duid.raw, w
    assert t.int("dhcpv6.duid.type") == want["type"], w
    if want["type"] == 1:
        assert t.int("dhcpv6.duidllt.hwtype") == want["hwtype"], w
        assert int.from_bytes(t.octets("dhcpv6.duidllt.time"), "big") == want["time"], w
        assert t.octets("dhcpv6.duidllt.link_layer_addr") == want["ll"], w
    elif want["type"] == 2:
        assert t.int("dhcpv6.duiden.enterprise") == want["enterprise"], w
        assert t.octets("dhcpv6.duiden.identifier") == want["id"], w
    elif want["type"] == 3:
        assert t.int("dhcpv6.duidll.hwtype") == want["hwtype"], w
        assert t.octets("dhcpv6.duidll.link_layer_addr") == want["ll"], w
    else:
        assert t.octets("dhcpv6.duiduuid.bytes") == want["uuid"], w


def check_unshown_u32(t: TsNode, o: Any, w: str) -> None:
    """Options tshark delimits but shows no value for: the octets must be the RFC layout."""
    assert t.raw == struct.pack("!HHI", o.code, 4, o.value), w


_CHECK: dict[type, Callable[[TsNode, Any, str], None]] = {}


def checks(*classes: type) -> Callable:
    def register(fn: Callable[[TsNode, Any, str], None]) -> Callable:
        for c in classes:
            _CHECK[c] = fn
        return fn

    return register


@checks(ClientId, ServerId, RelayId)
def _(t: TsNode, o: Any, w: str) -> None:
    check_duid(t, o.duid, w)


@checks(IaNa, IaPd)
def _(t: TsNode, o: Any, w: str) -> None:
    assert t.int("dhcpv6.iaid", 16) == o.iaid, w
    assert (t.int("dhcpv6.iaid.t1"), t.int("dhcpv6.iaid.t2")) == (o.t1, o.t2), w
    check_options(t.options, o.options, w)


@checks(IaTa)
def _(t: TsNode, o: IaTa, w: str) -> None:
    assert t.int("dhcpv6.iata", 16) == o.iaid, w
    check_options(t.options, o.options, w)


@checks(IaAddress)
def _(t: TsNode, o: IaAddress, w: str) -> None:
    assert A(t.one("dhcpv6.iaaddr.ip")) == o.address, w
    assert t.int("dhcpv6.iaaddr.pref_lifetime") == o.preferred, w
    assert t.int("dhcpv6.iaaddr.valid_lifetime") == o.valid, w
    check_options(t.options, o.options, w)


@checks(IaPrefix)
def _(t: TsNode, o: IaPrefix, w: str) -> None:
    assert t.int("dhcpv6.iaprefix.pref_lifetime") == o.preferred, w
    assert t.int("dhcpv6.iaprefix.valid_lifetime") == o.valid, w
    assert t.int("dhcpv6.iaprefix.pref_len") == o.prefix_length, w
    assert A(t.one("dhcpv6.iaprefix.pref_addr")) == o.prefix, w
    check_options(t.options, o.options, w)


@checks(OptionRequest)
def _(t: TsNode, o: OptionRequest, w: str) -> None:
    assert [int(x) for x in t.all("dhcpv6.requested_option_code")] == o.codes, w


@checks(Preference)
def _(t: TsNode, o: Preference, w: str) -> None:
    assert t.int("dhcpv6.option_preference") == o.value, w


@checks(ElapsedTime)
def _(t: TsNode, o: ElapsedTime, w: str) -> None:
    assert t.int("dhcpv6.elapsed_time") == o.value * 10, w  # tshark shows milliseconds


@checks(RelayMsg)
def _(t: TsNode, o: RelayMsg, w: str) -> None:
    assert t.message is not None, f"{w}: tshark did not dissect the relayed message"
    check_message(t.message, o.message, w + ">")


@checks(Auth)
def _(t: TsNode, o: Auth, w: str) -> None:
    assert (t.int("dhcpv6.auth.protocol"), t.int("dhcpv6.auth.algorithm"), t.int("dhcpv6.auth.rdm")) == (
        o.protocol, o.algorithm, o.rdm), w
    assert t.octets("dhcpv6.auth.replay_detection") == o.replay_detection.to_bytes(8, "big"), w
    assert t.octets("dhcpv6.auth.info") == o.info, w


@checks(Unicast)
def _(t: TsNode, o: Unicast, w: str) -> None:
    assert A(t.one("dhcpv6.unicast")) == o.address, w


@checks(StatusCodeOption)
def _(t: TsNode, o: StatusCodeOption, w: str) -> None:
    assert t.int("dhcpv6.status_code") == o.status, w
    if o.message:
        assert t.one("dhcpv6.status_msg") == o.message, w
        assert t.octets("dhcpv6.status_msg") == o.message.encode(), w
    else:
        assert t.length == 2, w


@checks(RapidCommit, ReconfAccept)
def _(t: TsNode, o: Option, w: str) -> None:
    assert t.length == 0, w


@checks(UserClass)
def _(t: TsNode, o: UserClass, w: str) -> None:
    assert [int(x) for x in t.all("dhcpv6.userclass.length")] == [len(c) for c in o.classes], w
    assert t.all_octets("dhcpv6.userclass.opaque_data") == o.classes, w


@checks(VendorClass)
def _(t: TsNode, o: VendorClass, w: str) -> None:
    assert t.int("dhcpv6.vendorclass.enterprise") == o.enterprise, w
    # tshark 4.0 reads the first item's length and runs its field to the end of the option.
    rest = b"".join(struct.pack("!H", len(c)) + c for c in o.classes[1:])
    assert t.octets("dhcpv6.vendorclass.data") == o.classes[0] + rest, w


@checks(VendorOpts)
def _(t: TsNode, o: VendorOpts, w: str) -> None:
    assert t.int("dhcpv6.vendoropts.enterprise") == o.enterprise, w
    p = "dhcpv6.vendoropts.enterprise.option_"
    assert [int(x) for x in t.all(p + "code")] == [v.code for v in o.options], w
    assert [int(x) for x in t.all(p + "length")] == [len(v.data) for v in o.options], w
    assert t.all_octets(p + "data") == [v.data for v in o.options], w


@checks(InterfaceId)
def _(t: TsNode, o: InterfaceId, w: str) -> None:
    assert t.octets("dhcpv6.interface_id") == o.data, w


@checks(ReconfMsg)
def _(t: TsNode, o: ReconfMsg, w: str) -> None:
    assert t.int("dhcpv6.reconf_msg") == o.value, w


@checks(DnsServers)
def _(t: TsNode, o: DnsServers, w: str) -> None:
    assert [A(x) for x in t.all("dhcpv6.dns_server")] == o.servers, w


@checks(DomainList)
def _(t: TsNode, o: DomainList, w: str) -> None:
    assert t.all("dhcpv6.search_list_entry") == o.domains, w


@checks(InformationRefreshTime)
def _(t: TsNode, o: InformationRefreshTime, w: str) -> None:
    assert t.int("dhcpv6.lifetime") == o.value, w


@checks(RemoteId)
def _(t: TsNode, o: RemoteId, w: str) -> None:
    assert t.int("dhcpv6.remoteid.enterprise") == o.enterprise, w
    assert t.octets("dhcpv6.remoteid_enterprise_id") == o.remote_id, w


@checks(SubscriberId)
def _(t: TsNode, o: SubscriberId, w: str) -> None:
    assert t.octets("dhcpv6.subscriber_id") == o.data, w


@checks(ClientFqdn)
def _(t: TsNode, o: ClientFqdn, w: str) -> None:
    assert t.int("dhcpv6.client_fqdn_flags", 16) == o.flags, w
    assert t.one("dhcpv6.client_domain") == o.name, w  # 'a.b.' full, 'a' partial
    assert t.octets("dhcpv6.client_domain") == name_wire(o.name), w


@checks(SolMaxRt, InfMaxRt, LqBaseTime)
def _(t: TsNode, o: Any, w: str) -> None:
    check_unshown_u32(t, o, w)


@checks(Vss)
def _(t: TsNode, o: Vss, w: str) -> None:
    assert t.raw == tlv(68, bytes([o.type]) + o.info), w


@checks(ClientData)
def _(t: TsNode, o: ClientData, w: str) -> None:
    check_options(t.options, o.options, w)


@checks(CltTime)
def _(t: TsNode, o: CltTime, w: str) -> None:
    assert t.int("dhcpv6.clt_time") == o.value, w


@checks(FDnsRemovalInfo)
def _(t: TsNode, o: FDnsRemovalInfo, w: str) -> None:
    body = b""
    for s in o.options:
        if isinstance(s, (FDnsHostName, FDnsZoneName)):
            body += tlv(s.code, name_wire(s.name))
        else:
            body += tlv(s.code, struct.pack("!H", s.value))
    assert t.options == [], w  # tshark does not dissect its content
    assert t.raw == tlv(116, body), w


@checks(FDnsHostName)
def _(t: TsNode, o: FDnsHostName, w: str) -> None:
    assert t.one("dhcpv6.failover.dns_hostname") == o.name.rstrip("."), w
    assert t.octets("dhcpv6.failover.dns_hostname") == name_wire(o.name), w


@checks(FDnsZoneName)
def _(t: TsNode, o: FDnsZoneName, w: str) -> None:
    assert t.one("dhcpv6.failover.dns_zonename") == o.name.rstrip("."), w
    assert t.octets("dhcpv6.failover.dns_zonename") == name_wire(o.name), w


@checks(FDnsFlags)
def _(t: TsNode, o: FDnsFlags, w: str) -> None:
    assert t.int("dhcpv6.failover.dns.flags", 16) == o.value, w
    for bit, flag in (("u", FDnsFlags.U), ("s", FDnsFlags.S), ("r", FDnsFlags.R), ("f", FDnsFlags.F)):
        assert t.int(f"dhcpv6.failover.dns.flags.{bit}") == bool(o.value & flag), (w, bit)


@checks(FConnectFlags)
def _(t: TsNode, o: FConnectFlags, w: str) -> None:
    assert t.int("dhcpv6.failover.connect.flags", 16) == o.value, w
    assert t.int("dhcpv6.failover.connect.flags.f") == bool(o.value & FConnectFlags.FIXED_PD_LENGTH), w


@checks(FServerFlags)
def _(t: TsNode, o: FServerFlags, w: str) -> None:
    assert t.int("dhcpv6.failover.server.flags", 16) == o.value, w
    for bit, flag in (("a", FServerFlags.ACK_STARTUP), ("s", FServerFlags.STARTUP), ("c", FServerFlags.COMMUNICATED)):
        assert t.int(f"dhcpv6.failover.server.flags.{bit}") == bool(o.value & flag), (w, bit)


@checks(FProtocolVersion)
def _(t: TsNode, o: FProtocolVersion, w: str) -> None:
    assert t.int("dhcpv6.failover.protocol.major_version") == o.major, w
    assert t.int("dhcpv6.failover.protocol.minor_version") == o.minor, w


@checks(FReconfigureData)
def _(t: TsNode, o: FReconfigureData, w: str) -> None:
    assert t.int("dhcpv6.failover.reconfigure_time") == o.time, w
    assert t.octets("dhcpv6.failover.reconfigure_key") == o.key, w


@checks(FRelationshipName)
def _(t: TsNode, o: FRelationshipName, w: str) -> None:
    assert t.one("dhcpv6.failover.relationship_name") == o.name, w


_FAILOVER_VALUE_FIELDS: dict[type, str] = {
    FBindingStatus: "binding_status", FExpirationTime: "expiration_time",
    FMaxUnackedBndupd: "max_unacked_bndupd", FMclt: "mclt", FPartnerLifetime: "partner_lifetime",
    FPartnerLifetimeSent: "partner_lifetime_sent", FPartnerDownTime: "partner_down_time",
    FPartnerRawCltTime: "partner_raw_clt_time", FKeepaliveTime: "keepalive_time",
    FServerState: "server_state", FStartTimeOfState: "start_time_of_state",
    FStateExpirationTime: "state_expiration_time",
}
for _cls, _name in _FAILOVER_VALUE_FIELDS.items():
    def _check_value(t: TsNode, o: Any, w: str, _f: str = "dhcpv6.failover." + _name) -> None:
        assert t.int(_f) == o.value, w
    _CHECK[_cls] = _check_value


def check_options(ts: list[TsNode], opts: list[Option], where: str) -> None:
    assert [t.code for t in ts] == [o.code for o in opts], f"{where}: option codes"
    for i, (t, o) in enumerate(zip(ts, opts)):
        w = f"{where}/{i}:{o.option_name}"
        assert t.length == len(t.raw) - 4, w
        _CHECK[type(o)](t, o, w)


def check_message(t: TsNode, m: Message | RelayMessage, where: str = "") -> None:
    where = f"{where}{m.type}"
    assert t.int("dhcpv6.msgtype") == m.type, where
    if isinstance(m, RelayMessage):
        assert t.int("dhcpv6.hopcount") == m.hop_count, where
        assert A(t.one("dhcpv6.linkaddr")) == m.link_address, where
        assert A(t.one("dhcpv6.peeraddr")) == m.peer_address, where
    else:
        assert t.int("dhcpv6.xid", 16) == m.transaction_id, where
    check_options(t.options, m.options, where)


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dhcp_packets(tmp_path_factory: pytest.TempPathFactory) -> list[ET.Element]:
    path = tmp_path_factory.mktemp("tshark") / "dhcpv6.pcap"
    write_dhcp_pcap(path)
    packets = run_pdml(path)
    assert len(packets) == len(DHCP_CASES)
    return packets


@pytest.fixture(scope="module")
def failover_packets(tmp_path_factory: pytest.TempPathFactory) -> list[ET.Element]:
    path = tmp_path_factory.mktemp("tshark") / "failover.pcap"
    write_failover_pcap(path)
    return run_pdml(path, "-d", "tcp.port==647,dhcpv6.bulk_leasequery")


def top_dhcpv6(packet: ET.Element) -> TsNode:
    protos = [p for p in packet.findall("proto") if p.get("name") == "dhcpv6"]
    assert len(protos) == 1, "tshark did not dissect the datagram as DHCPv6"
    return ts_node(protos[0])


# ---- DHCPv6 tests -------------------------------------------------------------------------


def _walk(m: Message | RelayMessage) -> list[Option]:
    out: list[Option] = []

    def rec(opts: list[Option]) -> None:
        for o in opts:
            out.append(o)
            if isinstance(o, RelayMsg):
                rec(o.message.options)
            elif hasattr(o, "options") and not isinstance(o, VendorOpts):
                rec(o.options)

    rec(m.options)
    return out


def test_dhcp_cases_cover_every_type_option_and_duid() -> None:
    types = set()
    depths = set()
    codes = set()
    duids: dict[str, set[int]] = {"CLIENTID": set(), "SERVERID": set()}
    for _, m, _, _ in DHCP_CASES:
        types.add(int(m.type))
        types.add(int(m.innermost.type))
        depths.add(m.relay_depth if isinstance(m, RelayMessage) else 0)
        for o in _walk(m):
            codes.add(o.code)
            if isinstance(o, (ClientId, ServerId)):
                duids[o.option_name].add(int(o.duid.type))
    assert types == set(range(1, 14))
    assert {1, 2, 3} <= depths
    assert codes >= {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 23, 24,
                     25, 26, 32, 37, 38, 39, 82, 83}
    assert duids == {"CLIENTID": {1, 2, 3, 4}, "SERVERID": {1, 2, 3, 4}}


@pytest.mark.parametrize("index", range(len(DHCP_CASES)), ids=[c[0] for c in DHCP_CASES])
def test_tshark_raises_no_expert_info_on_dhcpv6(dhcp_packets: list[ET.Element], index: int) -> None:
    assert expert_problems(dhcp_packets[index]) == []


@pytest.mark.parametrize("index", range(len(DHCP_CASES)), ids=[c[0] for c in DHCP_CASES])
def test_tshark_dissects_dhcpv6_to_the_encoded_values(dhcp_packets: list[ET.Element], index: int) -> None:
    _, msg, sport, dport = DHCP_CASES[index]
    packet = dhcp_packets[index]
    udp = next(p for p in packet.findall("proto") if p.get("name") == "udp")
    ports = {f.get("name"): int(f.get("show", "0")) for f in udp if f.get("name") in ("udp.srcport", "udp.dstport")}
    assert ports == {"udp.srcport": sport, "udp.dstport": dport}
    check_message(top_dhcpv6(packet), msg)


def test_expert_check_catches_malformed_options(tmp_path: Path) -> None:
    """The expert-info check is not vacuous: tshark flags an IA_NA shorter than its fixed
    part, and a datagram that is not DHCPv6 at all fails the dissection check."""
    from scapy.all import UDP, Ether, IPv6, Raw, wrpcap

    bad = H("01000001") + tlv(3, H("00000001"))
    path = tmp_path / "bad.pcap"
    wrpcap(str(path), [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IPv6(src="fe80::1", dst="ff02::1:2") / UDP(sport=546, dport=547) / Raw(bad)])
    (packet,) = run_pdml(path)
    assert expert_problems(packet) != []
    with pytest.raises(AssertionError):
        check_message(top_dhcpv6(packet), Message(MessageType.Solicit, 1, [IaNa(1, 0, 0, [])]))


# ---- failover tests -----------------------------------------------------------------------

ALLOWED_FAILOVER_EXPERTS = frozenset({"dhcpv6.bulk_leasequery.bad_msg_type"})


def failover_pdus(packets: list[ET.Element]) -> dict[tuple[int, int], list[ET.Element]]:
    """The bulk-leasequery PDUs tshark found, per direction (sport, dport), in stream order."""
    out: dict[tuple[int, int], list[ET.Element]] = {(PORT_A, PORT_B): [], (PORT_B, PORT_A): []}
    for packet in packets:
        tcp = next(p for p in packet.findall("proto") if p.get("name") == "tcp")
        sport = int(next(f for f in tcp if f.get("name") == "tcp.srcport").get("show", "0"))
        dport = int(next(f for f in tcp if f.get("name") == "tcp.dstport").get("show", "0"))
        for p in packet.findall("proto"):
            if p.get("name") == "dhcpv6.bulk_leasequery":
                out[(sport, dport)].append(p)
    return out


def test_failover_messages_cover_every_type_and_option() -> None:
    msgs = FO_A_TO_B + FO_B_TO_A
    assert {int(m.type) for m in msgs} == set(range(24, 36))
    codes: set[int] = set()

    def rec(opts: list[Option]) -> None:
        for o in opts:
            codes.add(o.code)
            if hasattr(o, "options"):
                rec(o.options)

    for m in msgs:
        rec(m.options)
    assert set(range(114, 135)) | {45, 46, 100} <= codes
    assert all(m.sent_time & 0xFFFF == 0 for m in msgs)


def test_tshark_raises_no_unexpected_expert_info_on_failover(failover_packets: list[ET.Element]) -> None:
    problems = {}
    for packet in failover_packets:
        found = expert_problems(packet, ALLOWED_FAILOVER_EXPERTS)
        if found:
            problems[packet.find("proto/field[@name='frame.number']").get("show")] = found  # type: ignore[union-attr]
    assert problems == {}


@pytest.mark.parametrize("direction", ["primary-to-secondary", "secondary-to-primary"])
def test_tshark_dissects_failover_stream_to_the_encoded_values(
        failover_packets: list[ET.Element], direction: str) -> None:
    key, msgs = ((PORT_A, PORT_B), FO_A_TO_B) if direction == "primary-to-secondary" else ((PORT_B, PORT_A), FO_B_TO_A)
    pdus = failover_pdus(failover_packets)[key]
    assert len(pdus) == len(msgs), "tshark did not find every framed message"
    for i, (pdu, m) in enumerate(zip(pdus, msgs)):
        w = f"{direction}#{i}:{m.type}"
        t = ts_node(pdu)
        assert t.int("dhcpv6.bulk_leasequery.size") == len(m.encode()), w
        assert t.int("dhcpv6.bulk_leasequery.msgtype") == m.type, w
        xid = (t.int("dhcpv6.bulk_leasequery.reserved") << 16) | t.int("dhcpv6.bulk_leasequery.trans_id")
        assert xid == m.transaction_id, w
        # The sent-time, read by tshark as an option header (code = high half, length = low).
        pseudo, *options = t.options
        assert (pseudo.code, pseudo.length) == (m.sent_time >> 16, m.sent_time & 0xFFFF), w
        check_options(options, m.options, w)


def test_failover_stream_is_split_and_coalesced() -> None:
    """The capture exercises tshark's reassembly: messages cut across segments and segments
    holding more than one message, in both directions."""
    for msgs in (FO_A_TO_B, FO_B_TO_A):
        data = b"".join(m.encode(framed=True) for m in msgs)
        segs = _cuts(data, msgs)
        assert b"".join(segs) == data
        ends, n = set(), 0
        for m in msgs:
            n += len(m.encode(framed=True))
            ends.add(n)
        bounds, n = [], 0
        for s in segs:
            bounds.append((n, n + len(s)))
            n += len(s)
        assert any(b not in ends for _, b in bounds), "no message is split"
        assert any(sum(1 for e in ends if a < e < b) >= 1 for a, b in bounds), "no segment holds two messages"


def _mutations(m: Message | RelayMessage) -> list[Message | RelayMessage]:
    """Copies of @p m (a relayed REPLY) that each differ in one value tshark shows."""
    out = []
    for mutate in (
        lambda r: setattr(r, "hop_count", r.hop_count + 1),
        lambda r: setattr(r, "peer_address", A("2001:db8::dead")),
        lambda r: setattr(r.innermost, "transaction_id", r.innermost.transaction_id ^ 1),
        lambda r: setattr(r.innermost.find(IaNa), "t2", 2881),
        lambda r: setattr(r.innermost.find(IaNa).options[0], "address", A("2001:db8:1::1002")),
        lambda r: setattr(r.innermost.find(IaPd).options[0], "prefix_length", 57),
        lambda r: setattr(r.innermost.find(IaNa).options[0].options[0], "message", "assigneD"),
        lambda r: setattr(r.innermost.find(ClientId), "duid", _ll(1, H("a0a1a2a3a4a6"))),
        lambda r: setattr(r.innermost.find(Auth), "info", H("01") + bytes(range(1, 17))),
        lambda r: setattr(r.innermost.find(SolMaxRt), "value", 3601),
        lambda r: r.innermost.options.pop(),
    ):
        c = RelayMessage.decode(m.encode())
        mutate(c)
        out.append(c)
    return out


def test_dhcpv6_comparison_detects_each_difference(dhcp_packets: list[ET.Element]) -> None:
    """The comparison is not vacuous: the REPLY's dissection does not match a message that
    differs in any one value."""
    index = [c[0] for c in DHCP_CASES].index("reply")
    t = top_dhcpv6(dhcp_packets[index])
    check_message(t, DHCP_CASES[index][1])
    for i, wrong in enumerate(_mutations(DHCP_CASES[index][1])):
        with pytest.raises(AssertionError):
            check_message(t, wrong)
            pytest.fail(f"mutation {i} not detected")  # pragma: no cover


def test_failover_comparison_detects_differences(failover_packets: list[ET.Element]) -> None:
    """Without the allowance tshark's unknown-message-type warning is reported, and the option
    comparison rejects a CONNECT or BNDUPD that differs in one value."""
    assert all(expert_problems(p) for p in failover_packets
               if any(x.get("name") == "dhcpv6.bulk_leasequery" for x in p.findall("proto")))
    pdus = failover_pdus(failover_packets)[(PORT_A, PORT_B)]
    connect = ts_node(pdus[0]).options[1:]
    check_options(connect, FO_A_TO_B[0].options, "CONNECT")
    wrong = FailoverMessage.decode(FO_A_TO_B[0].encode())
    wrong.find(FMclt).value = 3599
    with pytest.raises(AssertionError):
        check_options(connect, wrong.options, "CONNECT")
    bndupd = ts_node(pdus[2]).options[1:]
    check_options(bndupd, BNDUPD_CLIENT.options, "BNDUPD")
    wrong = FailoverMessage.decode(BNDUPD_CLIENT.encode())
    wrong.find(ClientData).find(IaNa).options[0].find(FPartnerRawCltTime).value += 1
    with pytest.raises(AssertionError):
        check_options(bndupd, wrong.options, "BNDUPD")
