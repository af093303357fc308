"""Third-party captures (shared/captures/dhcpv6, see SOURCES.md there): every DHCPv6 payload
decodes and re-encodes byte for byte, and the decoded fields agree with tshark, an independent
decoder: a few values written down from tshark's output, and for every packet the fields
tshark extracts at test time."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from ipaddress import IPv6Address
from pathlib import Path

import pytest

import failover6
from failover6 import (
    Auth,
    ClientFqdn,
    ClientId,
    DnsServers,
    DomainList,
    Duid,
    DuidType,
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    InterfaceId,
    Message,
    MessageType,
    Option,
    OptionRequest,
    Preference,
    RelayMessage,
    RelayMsg,
    ServerId,
    Unicast,
    UnknownOption,
    VendorClass,
    VendorOpts,
    _core,
)


_SHARED = Path(os.environ.get("FAILOVER6_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))


def capture_files() -> list[Path]:
    """The captures; an error when ctest names the shared folder and they are not in it."""
    files = sorted((_SHARED / "captures" / "dhcpv6").glob("*.pcap*"))
    if not files and "FAILOVER6_SHARED_DIR" in os.environ:
        raise FileNotFoundError(f"no captures under {_SHARED}/captures/dhcpv6")
    return files


@lru_cache(maxsize=None)
def payloads(path: Path) -> list[bytes]:
    """The UDP payloads of a capture, in order (all are DHCPv6)."""
    from scapy.all import UDP, rdpcap

    return [bytes(p[UDP].payload) for p in rdpcap(str(path)) if UDP in p]


def packet_cases() -> list[pytest.ParameterSet]:
    return [
        pytest.param(f, i, id=f"{f.name}#{i + 1}")
        for f in capture_files()
        for i in range(len(payloads(f)))
    ]


def packet(captures_dir: Path, name: str, frame: int) -> Message | RelayMessage:
    return failover6.decode_message(payloads(captures_dir / name)[frame - 1])


def test_captures_are_present() -> None:
    files = capture_files()
    if not files:
        pytest.skip("no captures beside the checkout")
    assert sum(len(payloads(f)) for f in files) == 34


@pytest.mark.parametrize("path,index", packet_cases())
def test_capture_reencodes_byte_for_byte(path: Path, index: int) -> None:
    data = payloads(path)[index]
    msg = failover6.decode_message(data)
    assert msg.encode() == data
    assert _core.encode_message(_core.decode_message(data)) == data
    # The object form converts to the same dict as the codec produced.
    assert type(msg).from_dict(msg.to_dict()) == msg


# ---- values read off tshark 4.0 (-O dhcpv6) ------------------------------------------------


def test_ia_pd_prefix(captures_dir: Path) -> None:
    reply = packet(captures_dir, "tcpdump__dhcpv6-ia-pd.pcap", 4)
    assert isinstance(reply, Message)
    assert reply.type is MessageType.Reply
    assert reply.transaction_id == 0x12B08A
    ia = reply.find(IaPd)
    assert ia is not None
    assert (ia.iaid, ia.t1, ia.t2) == (0x02030405, 3600, 5400)
    assert ia.options == [IaPrefix(4500, 7200, 56, IPv6Address("2a00:1:1:100::"))]
    client = reply.find(ClientId)
    server = reply.find(ServerId)
    assert client is not None and server is not None
    assert client.duid == Duid.ll(1, bytes.fromhex("000102030405"))
    assert server.duid == Duid.llt(1, 0x18464999, bytes.fromhex("001122334455"))
    assert server.duid.type is DuidType.Llt


def test_ia_na_address(captures_dir: Path) -> None:
    advertise = packet(captures_dir, "tcpdump__dhcpv6-ia-na.pcap", 2)
    ia = advertise.find(IaNa)
    assert ia is not None
    addr = ia.find(IaAddress)
    assert addr is not None
    assert addr.address == IPv6Address("2a00:1:1:200:38e6:b22e:c440:acdf")


def test_relayed_solicit_with_mud_url(captures_dir: Path) -> None:
    relay = packet(captures_dir, "tcpdump__dhcpv6-mud.pcap", 1)
    assert isinstance(relay, RelayMessage)
    assert (relay.type, relay.hop_count) == (MessageType.RelayForw, 0)
    assert relay.link_address == IPv6Address("2001:8a8:1006:3:225:84ff:fedb:2380")
    assert relay.peer_address == IPv6Address("fe80::ba27:ebff:feb8:53c8")
    assert relay.find(InterfaceId) == InterfaceId(bytes.fromhex("00000008"))
    solicit = relay.innermost
    assert isinstance(solicit, Message)
    assert (solicit.type, solicit.transaction_id) == (MessageType.Solicit, 0x78244B)
    assert solicit.find(VendorClass) == VendorClass(40712, [b"dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709"])
    assert solicit.find(ClientFqdn) == ClientFqdn(ClientFqdn.S, "raspberrypi")
    assert solicit.find(OptionRequest) == OptionRequest([23, 24, 31, 39, 82, 83])
    assert UnknownOption(112, b"https://mudctl.example.com/.well-known/mud/v1/rasbp101") in solicit.options


def test_isp_reply_with_unicast_and_auth(captures_dir: Path) -> None:
    reply = packet(captures_dir, "router7__fiber7.pcap", 2)
    assert reply.find(Preference) == Preference(0)
    assert reply.find(Unicast) == Unicast(IPv6Address("2001:1620:2777:19:1::5"))
    assert reply.find(DnsServers) == DnsServers(
        [IPv6Address("2001:1620:2777:1::10"), IPv6Address("2001:1620:2777:2::20")])
    assert reply.find(Auth) == Auth(3, 1, 0, 0, bytes.fromhex("016f729a9fff2492d344531fa02430431d"))
    pd = reply.find(IaPd)
    assert pd is not None and pd.find(IaPrefix) is not None
    prefix = pd.find(IaPrefix)
    assert prefix is not None and (prefix.prefix, prefix.prefix_length) == (IPv6Address("2a02:168:4a00::"), 48)


def test_duid_uuid_and_domain_list(captures_dir: Path) -> None:
    reply = packet(captures_dir, "tcpdump__dhcpv6-rfc6355-duid-uuid.pcap", 2)
    client = reply.find(ClientId)
    assert client is not None
    assert client.duid.type is DuidType.Uuid
    assert client.duid.raw[2:].hex() == "a256e92e40abd0d2a3ab3b3ff2ff8998"
    assert reply.find(DomainList) == DomainList(["voo.be."])


def test_vendor_options_at_relay_and_client_level(captures_dir: Path) -> None:
    relay = packet(captures_dir, "tcpdump__dhcpv6-vendor-specific-information.pcap", 1)
    assert isinstance(relay, RelayMessage)
    assert relay.hop_count == 1
    vendor = relay.find(VendorOpts)
    assert vendor is not None
    assert vendor.enterprise == 4491
    assert [s.code for s in vendor.options] == [38, 39]
    inner = relay.innermost
    assert inner.type is MessageType.Request
    client_vendor = inner.find(VendorOpts)
    assert client_vendor is not None and client_vendor.enterprise == 4491
    assert [s.code for s in client_vendor.options][:3] == [1, 2, 3]
    assert client_vendor.options[1].data == b"ECM"


def test_unknown_aftr_name_is_kept_raw(captures_dir: Path) -> None:
    adv = packet(captures_dir, "tcpdump__dhcpv6-AFTR-Name-RFC6334.pcap", 2)
    aftr = [o for o in adv.options if isinstance(o, UnknownOption)]
    assert [o.code for o in aftr] == [64]
    assert aftr[0].option_name == "AFTR_NAME"
    assert aftr[0].data == b"\x09aftr-name\x08mydomain\x03net\x00"


# ---- every packet against tshark at test time ----------------------------------------------

TSHARK_FIELDS = [
    "dhcpv6.msgtype", "dhcpv6.xid", "dhcpv6.hopcount", "dhcpv6.linkaddr", "dhcpv6.peeraddr",
    "dhcpv6.duid.bytes", "dhcpv6.iaid", "dhcpv6.iaaddr.ip", "dhcpv6.iaprefix.pref_addr",
    "dhcpv6.iaprefix.pref_len", "dhcpv6.dns_server", "dhcpv6.option.type",
]


def ours(msg: Message | RelayMessage) -> dict[str, list[str]]:
    """The values tshark's fields hold, collected from our decode in the same (document) order."""
    out: dict[str, list[str]] = {f: [] for f in TSHARK_FIELDS}

    def walk_message(m: Message | RelayMessage) -> None:
        out["dhcpv6.msgtype"].append(str(int(m.type)))
        if isinstance(m, RelayMessage):
            out["dhcpv6.hopcount"].append(str(m.hop_count))
            out["dhcpv6.linkaddr"].append(str(m.link_address))
            out["dhcpv6.peeraddr"].append(str(m.peer_address))
        else:
            out["dhcpv6.xid"].append(f"0x{m.transaction_id:06x}")
        walk_options(m.options)

    def walk_options(options: list[Option]) -> None:
        for o in options:
            out["dhcpv6.option.type"].append(str(o.code))
            if isinstance(o, (ClientId, ServerId)):
                out["dhcpv6.duid.bytes"].append(o.duid.raw.hex())
            if isinstance(o, (IaNa, IaPd)):
                out["dhcpv6.iaid"].append(f"{o.iaid:08x}")
            if isinstance(o, IaAddress):
                out["dhcpv6.iaaddr.ip"].append(str(o.address))
            if isinstance(o, IaPrefix):
                out["dhcpv6.iaprefix.pref_addr"].append(str(o.prefix))
                out["dhcpv6.iaprefix.pref_len"].append(str(o.prefix_length))
            if isinstance(o, DnsServers):
                out["dhcpv6.dns_server"].extend(str(a) for a in o.servers)
            if isinstance(o, RelayMsg):
                walk_message(o.message)
            elif isinstance(getattr(o, "options", None), list) and not isinstance(o, VendorOpts):
                walk_options(o.options)  # type: ignore[attr-defined]

    walk_message(msg)
    return out


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.parametrize("path", capture_files(), ids=lambda p: p.name)
def test_fields_agree_with_tshark(path: Path) -> None:
    cmd = ["tshark", "-n", "-r", str(path), "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    packets = payloads(path)
    assert len(lines) == len(packets)
    for n, (line, data) in enumerate(zip(lines, packets), start=1):
        theirs = {f: (v.split(",") if v else []) for f, v in zip(TSHARK_FIELDS, line.split("|"))}
        assert ours(failover6.decode_message(data)) == theirs, f"frame {n}"
