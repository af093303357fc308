"""End-to-end tests of `failover6 decode` (toolkit/cli/decode_command.cc) on captures written
here with scapy: relayed and direct DHCPv6, a malformed datagram, an IPv4 frame, and an RFC 8156
failover TCP connection (handshake, messages split across segments and coalesced in one, a
retransmitted segment and an out-of-order segment), in pcap (nanosecond) and pcapng form.

Every expected value comes from the messages built here and from the capture's layout (which
frame completes which message, at what time), not from the tool's own output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Union

import pytest

from failover6 import (
    ClientId,
    Duid,
    ElapsedTime,
    FailoverMessage,
    FBindingStatus,
    FConnectFlags,
    FKeepaliveTime,
    FMaxUnackedBndupd,
    FMclt,
    FPartnerLifetime,
    FPartnerLifetimeSent,
    FProtocolVersion,
    FRelationshipName,
    FServerFlags,
    FServerState,
    FStartTimeOfState,
    FStateExpirationTime,
    BindingStatus,
    ClientData,
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    InterfaceId,
    LqBaseTime,
    Message,
    MessageType,
    Preference,
    RelayMessage,
    RemoteId,
    ServerId,
    ServerState,
    StatusCode,
    StatusCodeOption,
)

_CHECKOUT = Path(__file__).resolve().parents[2]
AnyMessage = Union[Message, RelayMessage, FailoverMessage]


@pytest.fixture(scope="module")
def cli() -> Path:
    """build/bin/failover6 of $FAILOVER6_BUILD_DIR (as ctest sets it) or of this checkout."""
    path = Path(os.environ.get("FAILOVER6_BUILD_DIR", _CHECKOUT / "build")) / "bin" / "failover6"
    assert path.is_file() and os.access(path, os.X_OK), f"{path} is not built"
    return path


def run(cli: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


# ---- the capture --------------------------------------------------------------------------

CLIENT = Duid.llt(1, 0x2A2B2C2D, bytes.fromhex("020000c0ffee"))
SERVER = Duid.en(32473, b"srv-1")
ADDR = "2001:db8:1::1001"
PREFIX = "2001:db8:8000:100::"

SOLICIT = Message(MessageType.Solicit, 0x00ABCD, [
    ClientId(CLIENT), ElapsedTime(0), IaNa(1, 0, 0, []), IaPd(2, 0, 0, [])])
RELAYED_SOLICIT = RelayMessage.wrap(
    RelayMessage.wrap(SOLICIT, link_address="2001:db8:1::1", peer_address="fe80::c1",
                      options=[InterfaceId(b"eth1")]),
    link_address="2001:db8:100::1", peer_address="2001:db8:1::1",
    options=[RemoteId(32473, b"agg-7")])
ADVERTISE = Message(MessageType.Advertise, 0x00ABCD, [
    ServerId(SERVER), ClientId(CLIENT),
    IaNa(1, 1800, 2880, [IaAddress(ADDR, 3600, 7200)]),
    IaPd(2, 1800, 2880, [IaPrefix(3600, 7200, 56, PREFIX)]), Preference(255)])
RELAYED_ADVERTISE = RelayMessage.wrap(
    RelayMessage.wrap(ADVERTISE, type=MessageType.RelayRepl, link_address="2001:db8:1::1",
                      peer_address="fe80::c1", options=[InterfaceId(b"eth1")]),
    type=MessageType.RelayRepl, link_address="2001:db8:100::1", peer_address="2001:db8:1::1",
    options=[RemoteId(32473, b"agg-7")])
REQUEST = Message(MessageType.Request, 0x00BEEF, [
    ClientId(CLIENT), ServerId(SERVER), ElapsedTime(12), IaNa(1, 0, 0, [IaAddress(ADDR, 0, 0)])])
REPLY = Message(MessageType.Reply, 0x00BEEF, [
    ServerId(SERVER), ClientId(CLIENT), IaNa(1, 1800, 2880, [IaAddress(ADDR, 3600, 7200)]),
    StatusCodeOption(StatusCode.Success, "all granted")])
# REQUEST, xid 0x00bef0: CLIENTID (at offset 4) claims 32 octets, 4 follow.
MALFORMED = bytes.fromhex("0300bef0" "00010020" "00030001")
MALFORMED_OFFSET = 4
INFO_REQUEST = Message(MessageType.InformationRequest, 0x0000AA, [ClientId(CLIENT), ElapsedTime(5)])

T0 = 0x2F000000
CONNECT = FailoverMessage(MessageType.Connect, 0x000001, T0, True, [
    FProtocolVersion(1, 0), FMclt(3600), FKeepaliveTime(60), FMaxUnackedBndupd(64),
    FConnectFlags(0), FRelationshipName("pair-1")])
CONNECTREPLY = FailoverMessage(MessageType.ConnectReply, 0x000001, T0 + 1, True, [
    FProtocolVersion(1, 0), FMclt(3600), FKeepaliveTime(60), FMaxUnackedBndupd(32), FConnectFlags(0)])
STATE_B = FailoverMessage(MessageType.State, 0x800000, T0 + 1, True, [
    FServerState(ServerState.Normal), FServerFlags(FServerFlags.COMMUNICATED), FStartTimeOfState(T0 - 60)])
STATE_A = FailoverMessage(MessageType.State, 0x000002, T0 + 2, True, [
    FServerState(ServerState.CommunicationsInterrupted), FServerFlags(FServerFlags.COMMUNICATED),
    FStartTimeOfState(T0 - 600)])
BNDUPD_1 = FailoverMessage(MessageType.BndUpd, 0x000003, T0 + 3, True, [ClientData([
    ClientId(CLIENT), LqBaseTime(T0 + 3),
    IaNa(1, 1800, 2880, [IaAddress(ADDR, 3600, 7200, [
        FBindingStatus(BindingStatus.Active), FStartTimeOfState(T0), FStateExpirationTime(T0 + 7200),
        FPartnerLifetime(T0 + 90000)])])])])
BNDUPD_2 = FailoverMessage(MessageType.BndUpd, 0x000004, T0 + 3, True, [
    IaPrefix(0, 0, 48, "2001:db8:9000::", [
        LqBaseTime(T0 + 3), FBindingStatus(BindingStatus.FreeBackup), FStartTimeOfState(T0)])])
CONTACT = FailoverMessage(MessageType.Contact, 0x000005, T0 + 4, True, [])
BNDREPLY_1 = FailoverMessage(MessageType.BndReply, 0x000003, T0 + 4, True, [ClientData([
    ClientId(CLIENT),
    IaNa(1, 1800, 2880, [IaAddress(ADDR, 3600, 7200, [
        FBindingStatus(BindingStatus.Active), FStateExpirationTime(T0 + 7200),
        FPartnerLifetimeSent(T0 + 90000)])])])])
BNDREPLY_2 = FailoverMessage(MessageType.BndReply, 0x000004, T0 + 4, True, [
    IaPrefix(0, 0, 48, "2001:db8:9000::", [FBindingStatus(BindingStatus.FreeBackup)])])
DISCONNECT = FailoverMessage(MessageType.Disconnect, 0x000006, T0 + 9, True, [
    StatusCodeOption(StatusCode.ServerShuttingDown, "bye")])

RELAY, SERVER_ADDR = "2001:db8:100::1", "2001:db8::547"
# Explicit addresses: an Ether() without them makes scapy look for the neighbour (slow).
ETH_SRC, ETH_DST = "02:00:00:00:00:01", "02:00:00:00:00:02"
HOST_A, HOST_B, PORT_A = "2001:db8:ffff::a", "2001:db8:ffff::b", 40647


@dataclass
class Line:
    """One output line the tool must print."""

    frame: int
    time: Decimal
    src: str
    sport: int
    dst: str
    dport: int
    kind: str  # dhcp6 | failover
    message: AnyMessage | None = None  # None: MALFORMED
    error_offset: int | None = None


@dataclass
class Capture:
    frames: list[Any]
    lines: list[Line]


def frame_time(i: int) -> Decimal:
    """Capture time of frame @p i (1-based): distinct in every digit down to the nanosecond."""
    return Decimal(1_700_000_000 + i) + Decimal(i * 123_457 + 7) / Decimal(10**9)


def build_capture(tcp_port: int = 647, udp_port: int = 547, odd: bool = False) -> Capture:
    """The frames and the lines `decode` prints for them (with its default ports when the
    capture uses 547 and 647). @p odd: only an INFORMATION-REQUEST on UDP @p udp_port and a
    CONNECT/CONNECTREPLY on TCP @p tcp_port."""
    from scapy.all import IP, TCP, UDP, BOOTP, Ether, IPv6, Raw

    frames: list[Any] = []
    lines: list[Line] = []
    eth = Ether(src=ETH_SRC, dst=ETH_DST)

    def add(pkt: Any) -> int:
        pkt.time = frame_time(len(frames) + 1)
        frames.append(pkt)
        return len(frames)

    def udp(src: str, sport: int, dst: str, dport: int, payload: bytes, msg: Message | RelayMessage | None,
            offset: int | None = None) -> None:
        n = add(eth / IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))
        lines.append(Line(n, frame_time(n), src, sport, dst, dport, "dhcp6", msg, offset))

    seq = {"a": 0x10000000, "b": 0x70000000}

    def tcp(a_to_b: bool, flags: str, payload: bytes = b"", at: int | None = None) -> int:
        """A segment; @p at: its offset in the direction's stream (default: next)."""
        me, peer = ("a", "b") if a_to_b else ("b", "a")
        s = seq[me] if at is None else at
        ack = seq[peer] if "A" in flags else 0
        ip = IPv6(src=HOST_A, dst=HOST_B) if a_to_b else IPv6(src=HOST_B, dst=HOST_A)
        ports = dict(sport=PORT_A, dport=tcp_port) if a_to_b else dict(sport=tcp_port, dport=PORT_A)
        pkt = eth / ip / TCP(flags=flags, seq=s, ack=ack, window=65535, **ports)
        if payload:
            pkt = pkt / Raw(payload)
        if at is None:
            seq[me] += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
        return add(pkt)

    def fo(n: int, a_to_b: bool, *msgs: FailoverMessage) -> None:
        for m in msgs:
            src, sport, dst, dport = (HOST_A, PORT_A, HOST_B, tcp_port) if a_to_b else (HOST_B, tcp_port, HOST_A, PORT_A)
            lines.append(Line(n, frame_time(n), src, sport, dst, dport, "failover", m))

    if odd:
        udp("fe80::c1", udp_port - 1, "ff02::1:2", udp_port, INFO_REQUEST.encode(), INFO_REQUEST)
        tcp(True, "S")
        tcp(False, "SA")
        tcp(True, "A")
        fo(tcp(True, "PA", CONNECT.encode(framed=True)), True, CONNECT)
        fo(tcp(False, "PA", CONNECTREPLY.encode(framed=True)), False, CONNECTREPLY)
        return Capture(frames, lines)

    udp(RELAY, 547, SERVER_ADDR, 547, RELAYED_SOLICIT.encode(), RELAYED_SOLICIT)
    udp(SERVER_ADDR, 547, RELAY, 547, RELAYED_ADVERTISE.encode(), RELAYED_ADVERTISE)
    udp("fe80::c1", 546, "ff02::1:2", 547, REQUEST.encode(), REQUEST)
    udp("fe80::5", 547, "fe80::c1", 546, REPLY.encode(), REPLY)
    udp("fe80::c1", 546, "ff02::1:2", 547, MALFORMED, None, MALFORMED_OFFSET)
    add(eth / IP(src="192.0.2.1", dst="255.255.255.255") / UDP(sport=68, dport=67) / BOOTP())

    tcp(True, "S")
    tcp(False, "SA")
    tcp(True, "A")
    fo(tcp(True, "PA", CONNECT.encode(framed=True)), True, CONNECT)
    fo(tcp(False, "PA", CONNECTREPLY.encode(framed=True) + STATE_B.encode(framed=True)), False,
       CONNECTREPLY, STATE_B)
    fo(tcp(True, "PA", STATE_A.encode(framed=True)), True, STATE_A)
    # BNDUPD_1 | BNDUPD_2 | CONTACT in three segments S1 S2 S3, captured S1 S1 S3 S2.
    data = BNDUPD_1.encode(framed=True) + BNDUPD_2.encode(framed=True) + CONTACT.encode(framed=True)
    cut1, cut2 = 20, len(BNDUPD_1.encode(framed=True)) + 9
    base = seq["a"]
    tcp(True, "PA", data[:cut1], at=base)
    tcp(True, "PA", data[:cut1], at=base)  # retransmission
    tcp(True, "PA", data[cut2:], at=base + cut2)  # ahead of the hole
    n = tcp(True, "PA", data[cut1:cut2], at=base + cut1)  # fills it: all three complete here
    seq["a"] = base + len(data)
    fo(n, True, BNDUPD_1, BNDUPD_2, CONTACT)
    fo(tcp(False, "PA", BNDREPLY_1.encode(framed=True)), False, BNDREPLY_1)
    reply2 = BNDREPLY_2.encode(framed=True)
    tcp(False, "PA", reply2[:1])  # the length prefix itself split
    fo(tcp(False, "PA", reply2[1:]), False, BNDREPLY_2)
    fo(tcp(True, "FPA", DISCONNECT.encode(framed=True)), True, DISCONNECT)
    tcp(False, "FA")
    tcp(True, "A")
    return Capture(frames, lines)


def write_pcap(path: Path, cap: Capture, nano: bool = True) -> Path:
    from scapy.utils import PcapWriter

    w = PcapWriter(str(path), nano=nano)
    for f in cap.frames:
        w.write(f)
    w.close()
    return path


def write_pcapng(path: Path, cap: Capture) -> Path:
    from scapy.utils import wrpcapng

    wrpcapng(str(path), cap.frames)
    return path


@pytest.fixture(scope="module")
def capture() -> Capture:
    return build_capture()


@pytest.fixture(scope="module")
def pcap(tmp_path_factory: pytest.TempPathFactory, capture: Capture) -> Path:
    return write_pcap(tmp_path_factory.mktemp("cli") / "lab.pcap", capture)


@pytest.fixture(scope="module")
def pcapng(tmp_path_factory: pytest.TempPathFactory, capture: Capture) -> Path:
    return write_pcapng(tmp_path_factory.mktemp("cli") / "lab.pcapng", capture)


# ---- expected values, formatted independently of the tool ----------------------------------


def iso(t: Decimal) -> str:
    secs = int(t)
    micros = int((t - secs) * 1_000_000)
    return datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def ns(t: Decimal) -> int:
    return int(t * 1_000_000_000)


def usec(t: Decimal) -> Decimal:
    """@p t as scapy's PcapWriter stores it in a microsecond pcap (rounded, not truncated)."""
    return t.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def innermost(m: AnyMessage) -> AnyMessage:
    return m.innermost if isinstance(m, (Message, RelayMessage)) else m


def expected_leases(m: Message) -> list[dict[str, Any]]:
    out = []
    for ia in m.options:
        if not isinstance(ia, (IaNa, IaPd)):
            continue
        for lease in ia.options:
            d: dict[str, Any] = {"ia": ia.option_name, "iaid": ia.iaid,
                                 "preferred": lease.preferred, "valid": lease.valid}
            if isinstance(lease, IaAddress):
                d["address"] = str(lease.address)
            else:
                d["prefix"] = f"{lease.prefix}/{lease.prefix_length}"
            out.append(d)
    return out


def text_fragments(m: AnyMessage) -> list[str]:
    """Pieces the one-line description must contain, written from the message's values."""
    inner = innermost(m)
    out = [f"{inner.type} xid=0x{inner.transaction_id:06x}"]
    if isinstance(inner, FailoverMessage):
        out.append(f"sent={inner.sent_time}")
        if (st := inner.find(FServerState)) is not None:
            out.append(f"state={st.value}")
        if (mclt := inner.find(FMclt)) is not None:
            out.append(f"mclt={mclt.value}")
        if (cd := inner.find(ClientData)) is not None:
            out.append(f"client={cd.find(ClientId).duid.raw.hex(':')}")
        for p in inner.find_all(IaPrefix):
            out.append(f"{p.prefix}/{p.prefix_length}")
        return out
    if (c := inner.find(ClientId)) is not None:
        out.append(f"client={c.duid.raw.hex(':')}")
    if (s := inner.find(ServerId)) is not None:
        out.append(f"server={s.duid.raw.hex(':')}")
    for ia in inner.options:
        if isinstance(ia, (IaNa, IaPd)):
            out.append(f"{ia.option_name}(iaid={ia.iaid} t1={ia.t1} t2={ia.t2}")
            for lease in ia.options:
                where = str(lease.address) if isinstance(lease, IaAddress) else f"{lease.prefix}/{lease.prefix_length}"
                out.append(f"[{where} pref={lease.preferred} valid={lease.valid}")
    if isinstance(m, RelayMessage):
        hops = []
        r: Any = m
        while isinstance(r, RelayMessage):
            hops.append(f"link={r.link_address} peer={r.peer_address}")
            r = r.relayed
        out.append(f"{m.type} hops={m.relay_depth} [{' '.join(hops)}]")
    return out


LINE_RE = re.compile(r"^(\S+) \[([0-9a-f:.]+)\]:(\d+) > \[([0-9a-f:.]+)\]:(\d+) (.*)$")


def check_text_line(text: str, want: Line) -> None:
    m = LINE_RE.match(text)
    assert m, text
    time, src, sport, dst, dport, rest = m.groups()
    assert time == iso(want.time), text
    assert (IPv6Address(src), int(sport), IPv6Address(dst), int(dport)) == (
        IPv6Address(want.src), want.sport, IPv6Address(want.dst), want.dport), text
    if want.message is None:
        assert rest.startswith(f"MALFORMED offset {want.error_offset}: CLIENTID"), text
        return
    assert rest == want.message.describe(), text
    for piece in text_fragments(want.message):
        assert piece in rest, (piece, text)


def check_json_line(j: dict[str, Any], want: Line, file: Path) -> None:
    assert j["file"] == str(file)
    assert (j["frame"], j["time"], j["time_ns"]) == (want.frame, iso(want.time), ns(want.time)), j
    assert j["kind"] == want.kind
    assert (IPv6Address(j["src"]), j["sport"], IPv6Address(j["dst"]), j["dport"]) == (
        IPv6Address(want.src), want.sport, IPv6Address(want.dst), want.dport), j
    if want.message is None:
        assert j["offset"] == want.error_offset and "CLIENTID" in j["error"], j
        assert "message" not in j and "type" not in j
        return
    inner = innermost(want.message)
    assert (j["type"], j["xid"]) == (str(inner.type), inner.transaction_id), j
    if want.kind == "failover":
        assert FailoverMessage.from_dict(j["message"]) == want.message
        return
    assert (Message.from_dict(j["message"]) if isinstance(want.message, Message)
            else RelayMessage.from_dict(j["message"])) == want.message
    assert j["relay_hops"] == (want.message.relay_depth if isinstance(want.message, RelayMessage) else 0)
    client, server = inner.find(ClientId), inner.find(ServerId)
    assert j.get("client_duid") == (client.duid.raw.hex(":") if client else None)
    assert j.get("server_duid") == (server.duid.raw.hex(":") if server else None)
    assert j["leases"] == expected_leases(inner)


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in stdout.splitlines()]


# ---- the tests ----------------------------------------------------------------------------


def test_capture_layout(capture: Capture) -> None:
    """What the other tests rely on: the failover stream has a retransmitted and an
    out-of-order segment, three messages completed by one segment, and two in one segment."""
    from scapy.all import TCP

    segs = [(f[TCP].sport, f[TCP].seq, bytes(f[TCP].payload)) for f in capture.frames if TCP in f]
    data = [s for s in segs if s[2]]
    assert len(data) != len(set(data)), "no retransmitted segment"
    seqs = [s[1] for s in data if s[0] == PORT_A]
    assert seqs != sorted(seqs), "no out-of-order segment"
    per_frame = [sum(1 for x in capture.lines if x.frame == n) for n in range(1, len(capture.frames) + 1)]
    assert max(per_frame) == 3
    assert {int(innermost(x.message).type) for x in capture.lines if x.message} >= set(range(1, 4)) | {7, 24, 25, 31, 32, 33, 34, 35}


def test_text_output(cli: Path, pcap: Path, capture: Capture) -> None:
    r = run(cli, "decode", pcap)
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert len(lines) == len(capture.lines), r.stdout
    for text, want in zip(lines, capture.lines):
        check_text_line(text, want)


def test_json_output(cli: Path, pcap: Path, capture: Capture) -> None:
    r = run(cli, "decode", "--json", pcap)
    assert (r.returncode, r.stderr) == (0, "")
    got = json_lines(r.stdout)
    assert len(got) == len(capture.lines)
    for j, want in zip(got, capture.lines):
        check_json_line(j, want, pcap)


def test_failover_lines_are_each_reported_once_in_stream_order(cli: Path, pcap: Path) -> None:
    r = run(cli, "decode", "--json", pcap)
    fo = [j for j in json_lines(r.stdout) if j["kind"] == "failover"]
    a_to_b = [(j["type"], j["xid"]) for j in fo if j["sport"] == PORT_A]
    b_to_a = [(j["type"], j["xid"]) for j in fo if j["dport"] == PORT_A]
    assert a_to_b == [(str(m.type), m.transaction_id) for m in (CONNECT, STATE_A, BNDUPD_1, BNDUPD_2, CONTACT, DISCONNECT)]
    assert b_to_a == [(str(m.type), m.transaction_id) for m in (CONNECTREPLY, STATE_B, BNDREPLY_1, BNDREPLY_2)]
    states = [(j["message"]["options"][0]["value"], j["src"]) for j in fo if j["type"] == "STATE"]
    assert states == [(ServerState.Normal, HOST_B), (ServerState.CommunicationsInterrupted, HOST_A)]


def expected_counts(lines: list[Line]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for x in lines:
        name = "MALFORMED" if x.message is None else str(innermost(x.message).type)
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_summary_json(cli: Path, pcap: Path, capture: Capture) -> None:
    r = run(cli, "decode", "--summary", "--json", "-q", pcap)
    assert r.returncode == 0
    (line,) = r.stdout.splitlines()
    s = json.loads(line)["summary"]
    dhcp = [x for x in capture.lines if x.kind == "dhcp6"]
    fo = [x for x in capture.lines if x.kind == "failover"]
    assert s == {
        "files": 1, "frames": len(capture.frames),
        "dhcp6": sum(1 for x in dhcp if x.message), "dhcp6_malformed": sum(1 for x in dhcp if not x.message),
        "failover": len(fo), "failover_malformed": 0, "streams_lost": 0,
        "non_ipv6": 1, "malformed_frames": 0, "reassembled": 0,
        "types": expected_counts(capture.lines),
    }
    assert s["types"] == {"SOLICIT": 1, "ADVERTISE": 1, "REQUEST": 1, "REPLY": 1, "MALFORMED": 1,
                          "CONNECT": 1, "CONNECTREPLY": 1, "STATE": 2, "BNDUPD": 2, "CONTACT": 1,
                          "BNDREPLY": 2, "DISCONNECT": 1}


def test_summary_text_after_the_lines(cli: Path, pcap: Path, capture: Capture) -> None:
    r = run(cli, "decode", "--summary", pcap)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    n = len(capture.lines)
    assert all(LINE_RE.match(x) for x in lines[:n])
    assert lines[n] == (f"summary: 1 files, {len(capture.frames)} frames, 4 DHCPv6 messages (1 malformed), "
                        "10 failover messages (0 malformed), 1 non-IPv6 frames skipped, 0 malformed frames")
    counts = dict(re.fullmatch(r"  (\S+): (\d+)", x).groups() for x in lines[n + 1:])  # type: ignore[union-attr]
    assert {k: int(v) for k, v in counts.items()} == expected_counts(capture.lines)


def test_quiet_prints_nothing(cli: Path, pcap: Path) -> None:
    r = run(cli, "decode", "-q", pcap)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_summary_counts_every_file(cli: Path, pcap: Path, pcapng: Path, capture: Capture) -> None:
    r = run(cli, "decode", "--summary", "--json", "-q", pcap, pcapng)
    s = json.loads(r.stdout)["summary"]
    assert (s["files"], s["frames"], s["dhcp6"], s["failover"]) == (2, 2 * len(capture.frames), 8, 20)
    assert s["types"] == {k: 2 * v for k, v in expected_counts(capture.lines).items()}


def test_pcapng_input(cli: Path, pcap: Path, pcapng: Path, capture: Capture) -> None:
    """The pcapng copy decodes to the same lines. scapy writes microsecond timestamps there
    (rounding through a float), so the times expected are the ones scapy's reader finds."""
    from scapy.utils import rdpcap

    stored = [Decimal(str(p.time)) for p in rdpcap(str(pcapng))]
    assert [usec(t) - t for t in stored] == [0] * len(stored)
    assert all(abs(a - b) <= Decimal("0.000001") for a, b in zip(stored, (frame_time(i + 1) for i in range(len(stored)))))
    a = json_lines(run(cli, "decode", "--json", pcap).stdout)
    r = run(cli, "decode", "--json", pcapng)
    assert (r.returncode, r.stderr) == (0, "")
    b = json_lines(r.stdout)
    assert len(b) == len(capture.lines)
    for x, y, want in zip(a, b, capture.lines):
        assert y["file"] == str(pcapng)
        assert y["time_ns"] == ns(stored[want.frame - 1])
        assert y["time"] == iso(stored[want.frame - 1])
        for j in (x, y):
            del j["file"], j["time_ns"], j["time"]
        assert x == y


def test_microsecond_pcap(cli: Path, tmp_path: Path, capture: Capture) -> None:
    path = write_pcap(tmp_path / "usec.pcap", capture, nano=False)
    got = json_lines(run(cli, "decode", "--json", path).stdout)
    assert [(j["frame"], j["time_ns"]) for j in got] == [(x.frame, ns(usec(x.time))) for x in capture.lines]


def test_malformed_datagram_is_reported_and_decoding_goes_on(cli: Path, tmp_path: Path) -> None:
    from scapy.all import UDP, Ether, IPv6, Raw

    ETH = Ether(src=ETH_SRC, dst=ETH_DST)
    frames = [ETH / IPv6(src="fe80::c1", dst="ff02::1:2") / UDP(sport=546, dport=547) / Raw(p)
              for p in (MALFORMED, REQUEST.encode(), bytes.fromhex("01"))]
    for i, f in enumerate(frames):
        f.time = frame_time(i + 1)
    path = write_pcap(tmp_path / "bad.pcap", Capture(frames, []))
    r = run(cli, "decode", path)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert " MALFORMED offset 4: CLIENTID (1): " in lines[0]
    assert lines[1].endswith(REQUEST.describe())
    assert re.search(r" MALFORMED offset [01]: ", lines[2]), lines[2]  # one octet: no header
    r = run(cli, "decode", "--json", path)
    assert r.returncode == 0
    j = json_lines(r.stdout)
    assert [x.get("offset") for x in j] == [4, None, j[2]["offset"]]
    assert "CLIENTID" in j[0]["error"] and j[0]["kind"] == "dhcp6" and j[0]["frame"] == 1
    assert j[1]["type"] == "REQUEST" and "error" not in j[1]


@pytest.mark.parametrize("kind", ["missing", "text", "empty", "truncated-header", "directory"])
def test_unusable_input_exits_2_with_a_message(cli: Path, tmp_path: Path, pcap: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.pcap"
    if kind == "text":
        path.write_text("this is not a capture\n" * 10)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated-header":
        path.write_bytes(pcap.read_bytes()[:10])
    elif kind == "directory":
        path.mkdir()
    r = run(cli, "decode", path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    (msg,) = r.stderr.splitlines()
    assert msg.startswith("failover6 decode: ") and str(path) in msg, msg
    if kind == "missing":
        assert "No such file" in msg


def test_unusable_second_file_exits_2_after_the_first(cli: Path, pcap: Path, tmp_path: Path, capture: Capture) -> None:
    missing = tmp_path / "nope.pcap"
    r = run(cli, "decode", pcap, missing)
    assert r.returncode == 2
    assert len(r.stdout.splitlines()) == len(capture.lines)
    assert str(missing) in r.stderr


@pytest.mark.parametrize("args", [
    [],
    ["decode"],
    ["decode", "--no-such-option", "x.pcap"],
    ["decode", "x.pcap", "--udp-port", "not-a-port"],
    ["decode", "x.pcap", "--tcp-port", "70000"],
    ["no-such-command"],
], ids=["no-command", "no-files", "unknown-option", "bad-udp-port", "tcp-port-out-of-range", "unknown-command"])
def test_usage_errors_exit_2(cli: Path, args: list[str]) -> None:
    r = run(cli, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip() != ""


def test_help_exits_0(cli: Path) -> None:
    r = run(cli, "decode", "--help")
    assert r.returncode == 0
    assert "--udp-port" in r.stdout and "--tcp-port" in r.stdout


def test_non_standard_ports(cli: Path, tmp_path: Path) -> None:
    cap = build_capture(tcp_port=8647, udp_port=5547, odd=True)
    path = write_pcap(tmp_path / "odd.pcap", cap)
    r = run(cli, "decode", path)
    assert (r.returncode, r.stdout) == (0, "")
    r = run(cli, "decode", "--json", path, "--udp-port", "5547", "--tcp-port", "8647")
    assert r.returncode == 0
    got = json_lines(r.stdout)
    assert len(got) == len(cap.lines) == 3
    for j, want in zip(got, cap.lines):
        check_json_line(j, want, path)
    # --udp-port replaces the default ports; the standard ones can be named with it.
    main = write_pcap(tmp_path / "main.pcap", build_capture())
    r = run(cli, "decode", "--json", main, "--udp-port", "5547")
    assert [j["kind"] for j in json_lines(r.stdout)] == ["failover"] * 10
    r = run(cli, "decode", "--json", main, path, "--udp-port", "546", "547", "5547")
    kinds = [(j["file"], j["kind"]) for j in json_lines(r.stdout)]
    assert kinds.count((str(main), "dhcp6")) == 5 and kinds.count((str(path), "dhcp6")) == 1
    assert kinds.count((str(path), "failover")) == 0  # port 8647 not named this time


def test_malformed_failover_frame_and_capture_gap(cli: Path, tmp_path: Path) -> None:
    """A framed failover message too short for its header is a MALFORMED line and the stream
    goes on; a hole never filled in the other direction ends with one STREAM-LOST line, and
    nothing after the hole is reported."""
    from scapy.all import TCP, Ether, IPv6, Raw

    ETH = Ether(src=ETH_SRC, dst=ETH_DST)
    contact = CONTACT.encode(framed=True)
    short = bytes.fromhex("0006" "23000007" "0000")  # CONTACT, 6 octets: no sent-time
    a_data = contact + short + DISCONNECT.encode(framed=True)
    b_data = STATE_B.encode(framed=True) + contact * 3
    hole = len(STATE_B.encode(framed=True)) + 4
    frames = [
        ETH / IPv6(src=HOST_A, dst=HOST_B) / TCP(sport=PORT_A, dport=647, flags="S", seq=0),
        ETH / IPv6(src=HOST_B, dst=HOST_A) / TCP(sport=647, dport=PORT_A, flags="SA", seq=500, ack=1),
        ETH / IPv6(src=HOST_A, dst=HOST_B) / TCP(sport=PORT_A, dport=647, flags="PA", seq=1, ack=501) / Raw(a_data),
        ETH / IPv6(src=HOST_B, dst=HOST_A) / TCP(sport=647, dport=PORT_A, flags="PA", seq=501, ack=1 + len(a_data)) / Raw(b_data[:hole]),
        ETH / IPv6(src=HOST_B, dst=HOST_A) / TCP(sport=647, dport=PORT_A, flags="PA", seq=501 + hole + 10, ack=1 + len(a_data)) / Raw(b_data[hole + 10:]),
    ]
    for i, f in enumerate(frames):
        f.time = frame_time(i + 1)
    path = write_pcap(tmp_path / "gap.pcap", Capture(frames, []))
    r = run(cli, "decode", path)
    assert r.returncode == 0
    rest = [LINE_RE.match(x).group(6) for x in r.stdout.splitlines()]  # type: ignore[union-attr]
    assert rest == [CONTACT.describe(), "MALFORMED offset 0: CONTACT: 6 octets, shorter than the 8-octet header",
                    DISCONNECT.describe(), STATE_B.describe(),
                    "STREAM-LOST capture gap: framing lost for this direction"]
    r = run(cli, "decode", "--json", "--summary", path)
    j = json_lines(r.stdout)
    assert [(x.get("type"), x.get("offset"), x["frame"]) for x in j[:4]] == [
        ("CONTACT", None, 3), (None, 0, 3), ("DISCONNECT", None, 3), ("STATE", None, 4)]
    assert j[1]["kind"] == "failover" and "header" in j[1]["error"]
    assert (j[4]["kind"], j[4]["src"], j[4]["sport"]) == ("failover", HOST_B, 647) and "gap" in j[4]["error"]
    s = j[5]["summary"]
    assert (s["failover"], s["failover_malformed"], s["streams_lost"]) == (3, 1, 1)
    assert s["types"] == {"CONTACT": 1, "DISCONNECT": 1, "STATE": 1, "MALFORMED": 1, "STREAM-LOST": 1}
