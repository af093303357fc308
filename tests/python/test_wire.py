"""failover6.wire: messages and options built from Python objects, checked against octets
written out by hand from the RFC layouts (not produced by our encoder), then decoded back."""

from __future__ import annotations

import struct
import uuid
from ipaddress import IPv6Address

import pytest

import failover6
from failover6 import (
    Auth,
    BindingStatus,
    ClientData,
    ClientFqdn,
    ClientId,
    CltTime,
    DecodeError,
    DnsServers,
    DomainList,
    Duid,
    DuidType,
    ElapsedTime,
    EncodeError,
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
    LqRelayData,
    Message,
    MessageType,
    Option,
    OptionCode,
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
    UnknownOption,
    UserClass,
    VendorClass,
    VendorOpts,
    VendorSubOption,
    Vss,
)
from failover6 import _core, wire

H = bytes.fromhex
MAC = H("000102030405")
CLIENT_DUID = Duid.ll(1, MAC)
SERVER_DUID = Duid.llt(1, 0x18464999, H("001122334455"))


def a16(text: str) -> bytes:
    return IPv6Address(text).packed


def tlv(code: int, body: bytes) -> bytes:
    """An option in wire form: code(2) length(2) body (RFC 8415 §21.1)."""
    return struct.pack("!HH", code, len(body)) + body


def u32(*values: int) -> bytes:
    return struct.pack(f"!{len(values)}I", *values)


def name(*labels: str, fqdn: bool = True) -> bytes:
    """A domain name in RFC 1035 wire form."""
    out = b"".join(bytes([len(label)]) + label.encode() for label in labels)
    return out + (b"\x00" if fqdn else b"")


INNER_SOLICIT = Message(MessageType.Solicit, 0xABCDEF, [RapidCommit()])
INNER_SOLICIT_WIRE = H("01abcdef") + tlv(14, b"")
RELAY = RelayMessage.wrap(INNER_SOLICIT, link_address="2001:db8::", peer_address="fe80::1")
RELAY_WIRE = b"\x0c\x00" + a16("2001:db8::") + a16("fe80::1") + tlv(9, INNER_SOLICIT_WIRE)

# One instance of every option class, with its body octets written out from the RFC layout.
SAMPLES: list[tuple[Option, bytes]] = [
    (ClientId(CLIENT_DUID), H("0003 0001 000102030405")),
    (ServerId(SERVER_DUID), H("0001 0001 18464999 001122334455")),
    (
        IaNa(0x01020304, 3600, 5400, [IaAddress("2001:db8::1", 4500, 7200)]),
        u32(0x01020304, 3600, 5400) + tlv(5, a16("2001:db8::1") + u32(4500, 7200)),
    ),
    (IaTa(7, [IaAddress("2001:db8::2")]), u32(7) + tlv(5, a16("2001:db8::2") + u32(0, 0))),
    (
        IaAddress("2001:db8::5", 1, 2, [StatusCodeOption(StatusCode.Success, "ok")]),
        a16("2001:db8::5") + u32(1, 2) + tlv(13, b"\x00\x00ok"),
    ),
    (OptionRequest([23, 24, 82]), H("0017 0018 0052")),
    (Preference(255), H("ff")),
    (ElapsedTime(0x1234), H("1234")),
    (RelayMsg(INNER_SOLICIT), INNER_SOLICIT_WIRE),
    (Auth(3, 1, 0, 0x0102030405060708, H("0102")), H("03 01 00 0102030405060708 0102")),
    (Unicast("2001:1620:2777:19:1::5"), a16("2001:1620:2777:19:1::5")),
    (StatusCodeOption(StatusCode.NoAddrsAvail, "none left"), b"\x00\x02none left"),
    (RapidCommit(), b""),
    (UserClass([b"abc", b""]), H("0003 616263 0000")),
    (VendorClass(40712, [b"dhcpcd"]), H("00009f08 0006") + b"dhcpcd"),
    (
        VendorOpts(4491, [VendorSubOption(1, H("0020")), VendorSubOption(2, b"ECM")]),
        H("0000118b 0001 0002 0020 0002 0003") + b"ECM",
    ),
    (InterfaceId(H("00000008")), H("00000008")),
    (ReconfMsg(5), H("05")),
    (ReconfAccept(), b""),
    (DnsServers(["2001:db8::53", "2001:db8::54"]), a16("2001:db8::53") + a16("2001:db8::54")),
    (DomainList(["example.com.", "voo.be."]), name("example", "com") + name("voo", "be")),
    (
        IaPd(1, 2, 3, [IaPrefix(4500, 7200, 56, "2a00:1:1:100::")]),
        u32(1, 2, 3) + tlv(26, u32(4500, 7200) + b"\x38" + a16("2a00:1:1:100::")),
    ),
    (
        IaPrefix(4500, 7200, 48, "2001:db8::", [StatusCodeOption(StatusCode.NoPrefixAvail)]),
        u32(4500, 7200) + b"\x30" + a16("2001:db8::") + tlv(13, b"\x00\x06"),
    ),
    (InformationRefreshTime(86400), u32(86400)),
    (RemoteId(9, H("0102")), u32(9) + H("0102")),
    (SubscriberId(b"sub-1"), b"sub-1"),
    (ClientFqdn(ClientFqdn.S, "raspberrypi"), b"\x01" + name("raspberrypi", fqdn=False)),
    (
        ClientData([ClientId(CLIENT_DUID), IaAddress("2001:db8::7", 10, 20), CltTime(5)]),
        tlv(1, CLIENT_DUID.raw) + tlv(5, a16("2001:db8::7") + u32(10, 20)) + tlv(46, u32(5)),
    ),
    (CltTime(600), u32(600)),
    (LqRelayData("fe80::1", RELAY), a16("fe80::1") + RELAY_WIRE),
    (RelayId(Duid.en(9, H("aabb"))), H("0002 00000009 aabb")),
    (Vss(1, b"vpn-a"), b"\x01vpn-a"),
    (SolMaxRt(3600), u32(3600)),
    (InfMaxRt(86400), u32(86400)),
    (LqBaseTime(0x12345678), u32(0x12345678)),
    (FBindingStatus(BindingStatus.FreeBackup), H("06")),
    (FConnectFlags(FConnectFlags.FIXED_PD_LENGTH), H("0001")),
    (
        FDnsRemovalInfo(
            [FDnsHostName("host"), FDnsZoneName("example.com."), FDnsFlags(FDnsFlags.S)]
        ),
        tlv(117, name("host", fqdn=False))
        + tlv(118, name("example", "com"))
        + tlv(119, H("0004")),
    ),
    (FDnsHostName("host.example.com."), name("host", "example", "com")),
    (FDnsZoneName("example.com."), name("example", "com")),
    (FDnsFlags(FDnsFlags.U | FDnsFlags.F), H("0009")),
    (FExpirationTime(0x01020304), u32(0x01020304)),
    (FMaxUnackedBndupd(10), u32(10)),
    (FMclt(3600), u32(3600)),
    (FPartnerLifetime(100), u32(100)),
    (FPartnerLifetimeSent(101), u32(101)),
    (FPartnerDownTime(102), u32(102)),
    (FPartnerRawCltTime(103), u32(103)),
    (FProtocolVersion(1, 0), H("0001 0000")),
    (FKeepaliveTime(60), u32(60)),
    (FReconfigureData(0x11223344, bytes(range(16))), u32(0x11223344) + bytes(range(16))),
    (FRelationshipName("pair-1"), b"pair-1"),
    (FServerFlags(FServerFlags.STARTUP | FServerFlags.COMMUNICATED), H("03")),
    (FServerState(ServerState.PartnerDown), H("04")),
    (FStartTimeOfState(5), u32(5)),
    (FStateExpirationTime(6), u32(6)),
    (UnknownOption(64, name("aftr", "example")), name("aftr", "example")),
]


def test_every_option_class_has_a_sample() -> None:
    covered = {type(o) for o, _ in SAMPLES}
    assert covered == set(wire._OPTION_CLASSES.values()) | {UnknownOption}
    assert set(wire._OPTION_CLASSES) == {int(c) for c in OptionCode}


@pytest.mark.parametrize("option,body", SAMPLES, ids=[type(o).__name__ for o, _ in SAMPLES])
def test_option_round_trip(option: Option, body: bytes) -> None:
    msg = Message(MessageType.Request, 0x010203, [option])
    wire_form = H("03 010203") + tlv(option.code, body)
    assert msg.encode() == wire_form
    decoded = Message.decode(wire_form)
    assert decoded == msg
    assert type(decoded.options[0]) is type(option)
    # The dict form alone, and the option inside a failover message (RFC 8156 puts any of
    # them in a BNDUPD).
    assert Option.from_dict(option.to_dict()) == option
    fo = FailoverMessage(MessageType.BndUpd, 9, 1234, options=[option])
    assert fo.encode() == H("18 000009 000004d2") + tlv(option.code, body)
    assert FailoverMessage.decode(fo.encode()) == fo


@pytest.mark.parametrize("option", [o for o, _ in SAMPLES], ids=lambda o: type(o).__name__)
def test_option_names_match_the_codec(option: Option) -> None:
    d = _core.decode_message(Message(MessageType.Solicit, 1, [option]).encode())
    assert d["options"][0]["code"] == option.code
    assert option.option_name == _core.option_name(option.code)
    if option.code in wire._OPTION_CLASSES:
        assert str(OptionCode(option.code)) == option.option_name


# ---- messages ----------------------------------------------------------------------------

CLIENT_OPTIONS: list[Option] = [ClientId(CLIENT_DUID), ElapsedTime(0)]
SERVER_OPTIONS: list[Option] = [ClientId(CLIENT_DUID), ServerId(SERVER_DUID)]
CLIENT_WIRE = tlv(1, CLIENT_DUID.raw) + tlv(8, H("0000"))
SERVER_WIRE = tlv(1, CLIENT_DUID.raw) + tlv(2, SERVER_DUID.raw)
IA = IaNa(1, 1800, 2880, [IaAddress("2001:db8:1::1000", 3000, 4000)])
IA_WIRE = tlv(3, u32(1, 1800, 2880) + tlv(5, a16("2001:db8:1::1000") + u32(3000, 4000)))

CLIENT_SERVER_MESSAGES = [
    (MessageType.Solicit, CLIENT_OPTIONS + [IA, RapidCommit()], CLIENT_WIRE + IA_WIRE + tlv(14, b"")),
    (MessageType.Advertise, SERVER_OPTIONS + [IA, Preference(255)], SERVER_WIRE + IA_WIRE + tlv(7, b"\xff")),
    (MessageType.Request, SERVER_OPTIONS + [IA], SERVER_WIRE + IA_WIRE),
    (MessageType.Confirm, CLIENT_OPTIONS + [IA], CLIENT_WIRE + IA_WIRE),
    (MessageType.Renew, SERVER_OPTIONS + [IA], SERVER_WIRE + IA_WIRE),
    (MessageType.Rebind, CLIENT_OPTIONS + [IA], CLIENT_WIRE + IA_WIRE),
    (
        MessageType.Reply,
        SERVER_OPTIONS + [IA, DnsServers(["2001:db8::53"])],
        SERVER_WIRE + IA_WIRE + tlv(23, a16("2001:db8::53")),
    ),
    (MessageType.Release, SERVER_OPTIONS + [IA], SERVER_WIRE + IA_WIRE),
    (MessageType.Decline, SERVER_OPTIONS + [IA], SERVER_WIRE + IA_WIRE),
    (MessageType.Reconfigure, SERVER_OPTIONS + [ReconfMsg(5)], SERVER_WIRE + tlv(19, b"\x05")),
    (
        MessageType.InformationRequest,
        CLIENT_OPTIONS + [OptionRequest([23, 24])],
        CLIENT_WIRE + tlv(6, H("0017 0018")),
    ),
    (MessageType.Leasequery, [ClientId(CLIENT_DUID)], tlv(1, CLIENT_DUID.raw)),
    (MessageType.LeasequeryReply, [ClientData([CltTime(1)])], tlv(45, tlv(46, u32(1)))),
    (MessageType.LeasequeryDone, [StatusCodeOption()], tlv(13, H("0000"))),
    (MessageType.LeasequeryData, [ClientData()], tlv(45, b"")),
    (MessageType.ReconfigureRequest, [], b""),
    (MessageType.ReconfigureReply, [], b""),
    (MessageType.Dhcpv4Query, [], b""),
    (MessageType.Dhcpv4Response, [], b""),
    (MessageType.ActiveLeasequery, [], b""),
]


@pytest.mark.parametrize("mtype,options,body", CLIENT_SERVER_MESSAGES, ids=[str(m[0]) for m in CLIENT_SERVER_MESSAGES])
def test_client_server_message(mtype: MessageType, options: list[Option], body: bytes) -> None:
    msg = Message(mtype, 0x5A5A01, options)
    data = msg.encode()
    assert data == bytes([mtype]) + H("5a5a01") + body
    decoded = Message.decode(data)
    assert isinstance(decoded, Message)
    assert decoded == msg
    assert decoded.type is mtype
    assert failover6.decode_message(bytearray(data)) == msg


@pytest.mark.parametrize("mtype", [MessageType.RelayForw, MessageType.RelayRepl], ids=str)
def test_relay_message(mtype: MessageType) -> None:
    relay = RelayMessage(
        mtype, 3, IPv6Address("2001:db8::1"), IPv6Address("fe80::2"),
        [InterfaceId(b"eth0"), RelayMsg(INNER_SOLICIT)],
    )
    data = relay.encode()
    assert data == (
        bytes([mtype, 3]) + a16("2001:db8::1") + a16("fe80::2")
        + tlv(18, b"eth0") + tlv(9, INNER_SOLICIT_WIRE)
    )
    decoded = RelayMessage.decode(data)
    assert isinstance(decoded, RelayMessage)
    assert decoded == relay
    assert decoded.relayed == INNER_SOLICIT
    assert decoded.innermost == INNER_SOLICIT
    assert decoded.relay_depth == 1


CONNECT_OPTIONS: list[Option] = [
    FRelationshipName("pair-1"), FProtocolVersion(1, 0), FMclt(3600), FKeepaliveTime(60),
    FMaxUnackedBndupd(10), FStartTimeOfState(100), FServerState(ServerState.Startup),
    FServerFlags(FServerFlags.STARTUP), FConnectFlags(0),
]
BNDUPD_OPTIONS: list[Option] = [
    ClientData([
        ClientId(CLIENT_DUID),
        IaNa(1, 0, 0, [IaAddress("2001:db8:1::1000", 3000, 4000, [
            FBindingStatus(BindingStatus.Active), FPartnerLifetime(5000),
            FPartnerLifetimeSent(5000), FExpirationTime(6000), FPartnerRawCltTime(4000),
        ])]),
        CltTime(0),
    ])
]

FAILOVER_MESSAGES: list[tuple[MessageType, list[Option]]] = [
    (MessageType.StartTls, []),
    (MessageType.BndUpd, BNDUPD_OPTIONS),
    (MessageType.BndReply, BNDUPD_OPTIONS + [StatusCodeOption(StatusCode.Success)]),
    (MessageType.PoolReq, []),
    (MessageType.PoolResp, [StatusCodeOption(StatusCode.Success)]),
    (MessageType.UpdReq, []),
    (MessageType.UpdReqAll, []),
    (MessageType.UpdDone, []),
    (MessageType.Connect, CONNECT_OPTIONS),
    (MessageType.ConnectReply, CONNECT_OPTIONS + [StatusCodeOption(StatusCode.Success)]),
    (MessageType.Disconnect, [StatusCodeOption(StatusCode.ServerShuttingDown, "bye")]),
    (MessageType.State, [FServerState(ServerState.Normal), FStartTimeOfState(200),
                         FStateExpirationTime(0), FServerFlags(FServerFlags.COMMUNICATED)]),
    (MessageType.Contact, []),
]


@pytest.mark.parametrize("mtype,options", FAILOVER_MESSAGES, ids=[str(m[0]) for m in FAILOVER_MESSAGES])
def test_failover_message(mtype: MessageType, options: list[Option]) -> None:
    msg = FailoverMessage(mtype, 0x000102, 0xA0B0C0D0, True, options)
    data = msg.encode()
    assert data[:8] == bytes([mtype]) + H("000102 a0b0c0d0")
    # The options are encoded exactly as in a DHCPv6 message.
    assert data[8:] == Message(MessageType.Solicit, 0, options).encode()[4:]
    decoded = FailoverMessage.decode(data)
    assert decoded == msg
    assert failover6.decode_failover(memoryview(data)) == msg
    framed = msg.encode(framed=True)
    assert framed == struct.pack("!H", len(data)) + data


@pytest.mark.parametrize("mtype", [MessageType.StartTls, MessageType.Reply], ids=str)
def test_starttls_and_reply_without_sent_time(mtype: MessageType) -> None:
    msg = FailoverMessage(mtype, 5, has_sent_time=False)
    assert msg.encode() == bytes([mtype]) + H("000005")
    assert FailoverMessage.decode(msg.encode()) == msg
    with_time = FailoverMessage(mtype, 5, 77)
    assert with_time.encode() == bytes([mtype]) + H("000005 0000004d")
    assert FailoverMessage.decode(with_time.encode()).has_sent_time is True


def test_failover_decoder_rejects_dhcpv6_types_and_vice_versa() -> None:
    with pytest.raises(DecodeError) as e:
        FailoverMessage.decode(Message(MessageType.Solicit, 1).encode())
    assert str(e.value) == "offset 0: message type 1 (SOLICIT) is not used on the failover connection"
    with pytest.raises(DecodeError) as e:
        Message.decode(FailoverMessage(MessageType.BndUpd, 1).encode())
    assert str(e.value) == "offset 0: BNDUPD is an RFC 8156 failover message, not DHCPv6 over UDP"


def test_unassigned_message_type_round_trips() -> None:
    msg = Message(MessageType(99), 1, [ElapsedTime(1)])
    assert repr(msg.type) == "MessageType.MSG-99"
    assert Message.decode(msg.encode()) == msg


# ---- relays ------------------------------------------------------------------------------


def nest(levels: int) -> RelayMessage:
    m: Message | RelayMessage = INNER_SOLICIT
    for i in range(levels):
        m = RelayMessage.wrap(m, link_address=f"2001:db8::{i + 1:x}", peer_address=f"fe80::{i + 1:x}")
    assert isinstance(m, RelayMessage)
    return m


def test_relay_nesting_to_eight_levels() -> None:
    outer = nest(8)
    data = outer.encode()
    assert len(data) == len(INNER_SOLICIT_WIRE) + 8 * (34 + 4)
    # The outermost header: RELAY-FORW, hop-count 7, then the addresses of the eighth relay.
    assert data[:34] == b"\x0c\x07" + a16("2001:db8::8") + a16("fe80::8")
    decoded = Message.decode(data)
    assert isinstance(decoded, RelayMessage)
    assert decoded == outer
    assert decoded.relay_depth == 8
    assert decoded.innermost == INNER_SOLICIT
    hops, links = [], []
    m: Message | RelayMessage | None = decoded
    while isinstance(m, RelayMessage):
        hops.append(m.hop_count)
        links.append(str(m.link_address))
        m = m.relayed
    assert hops == [7, 6, 5, 4, 3, 2, 1, 0]
    assert links == [f"2001:db8::{i:x}" for i in range(8, 0, -1)]
    assert m == INNER_SOLICIT


def test_relay_depth_limit() -> None:
    assert Message.decode(nest(failover6.MAX_RELAY_DEPTH).encode()).relay_depth == 32
    with pytest.raises(DecodeError) as e:
        Message.decode(nest(33).encode())
    # The 33rd RELAY_MSG body starts after 33 relay headers and option headers.
    assert e.value.offset == 33 * 38
    assert e.value.reason == "RELAY_MSG (9): relay messages nested deeper than 32"


def test_relay_without_relay_msg() -> None:
    r = RelayMessage(MessageType.RelayRepl, options=[InterfaceId(b"x")])
    assert r.relayed is None
    assert r.innermost is r
    assert r.relay_depth == 0
    assert INNER_SOLICIT.innermost is INNER_SOLICIT


# ---- malformed input ---------------------------------------------------------------------

MALFORMED = [
    ("empty", b"", 0, "empty message"),
    ("short header", H("0100"), 0, "SOLICIT: 2 octets, shorter than the 4-octet header"),
    ("short relay header", H("0c00") + bytes(10), 0,
     "RELAY-FORW: 12 octets, shorter than the 34-octet relay header"),
    ("option header cut to 1", H("01000001 00"), 4, "1 trailing octets are too few for an option header"),
    ("option header cut to 2", H("01000001 0001"), 4, "2 trailing octets are too few for an option header"),
    ("option header cut to 3", H("01000001 000100"), 4, "3 trailing octets are too few for an option header"),
    ("option runs past end", H("01000001 0001000a 00030001"), 4,
     "CLIENTID (1): length 10 runs past the end (4 octets left)"),
    ("IA_NA length 8", H("01000001") + tlv(3, bytes(8)), 8,
     "IA_NA (3): length 8 is shorter than its 12-octet fixed part"),
    ("IAADDR in IA_NA length 10", H("01000001") + tlv(3, u32(1, 0, 0) + tlv(5, bytes(10))), 24,
     "IAADDR (5): length 10 is shorter than its 24-octet fixed part"),
    ("DUID too short", H("01000001") + tlv(1, H("0003")), 8,
     "CLIENTID (1): DUID length 2 outside 3..130 (RFC 8415 §11.1)"),
    ("elapsed time length 3", H("01000001") + tlv(8, bytes(3)), 8, "ELAPSED_TIME (8): length 3, expected 2"),
    ("prefix length 129", H("01000001") + tlv(26, u32(0, 0) + b"\x81" + bytes(16)), 16,
     "IAPREFIX (26): prefix-length 129 exceeds 128"),
    ("compressed name", H("01000001") + tlv(24, H("c00c")), 8,
     "DOMAIN_LIST (24): domain name label length 192 (compression is not allowed in DHCPv6)"),
]


@pytest.mark.parametrize("data,offset,reason", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_decode_error_offset_and_reason(data: bytes, offset: int, reason: str) -> None:
    with pytest.raises(DecodeError) as e:
        Message.decode(data)
    assert isinstance(e.value, ValueError)
    assert e.value.offset == offset
    assert e.value.reason == reason
    assert str(e.value) == f"offset {offset}: {reason}"


def test_failover_decode_error() -> None:
    with pytest.raises(DecodeError) as e:
        FailoverMessage.decode(H("18 000001 0000"))
    assert (e.value.offset, e.value.reason) == (0, "BNDUPD: 6 octets, shorter than the 8-octet header")
    with pytest.raises(DecodeError) as e:
        FailoverMessage.decode(H("18 000001 00000000") + tlv(122, H("0001")))
    assert str(e.value) == "offset 12: F_MCLT (122): length 2, expected 4"


def test_every_truncation_fails_cleanly_or_is_a_shorter_message() -> None:
    data = Message(MessageType.Reply, 7, SERVER_OPTIONS + [IA, IaPd(2, 0, 0, [IaPrefix(1, 2, 56, "2001:db8:100::")]),
                                                         DomainList(["example.com."])]).encode()
    for n in range(len(data)):
        try:
            m = Message.decode(data[:n])
        except DecodeError as e:
            assert 0 <= e.offset <= n, (n, str(e))
        else:
            # Cut at an option boundary: a valid message with fewer options.
            assert m.encode() == data[:n]


# ---- invalid values ----------------------------------------------------------------------


def test_bad_address_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"^IaAddress\.address: 'not-an-address' is not an IPv6 address"):
        IaAddress("not-an-address")
    with pytest.raises(ValueError, match=r"^DnsServers\.servers: \[1\]: '1\.2\.3\.4' is not an IPv6 address"):
        DnsServers(["::1", "1.2.3.4"])
    with pytest.raises(TypeError, match=r"^RelayMessage\.link_address: expected an IPv6 address, got float"):
        RelayMessage(link_address=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"field 'address': 'zz' is not an IPv6 address"):
        _core.encode_message({"type": 1, "options": [{"code": 5, "address": "zz"}]})


def test_transaction_id_over_24_bits() -> None:
    with pytest.raises(ValueError, match=r"^field 'transaction_id': exceeds 24 bits$"):
        Message(MessageType.Solicit, 1 << 24).encode()
    with pytest.raises(ValueError, match=r"^field 'transaction_id': exceeds 24 bits$"):
        FailoverMessage(MessageType.Contact, 1 << 24).encode()
    assert Message(MessageType.Solicit, (1 << 24) - 1).encode() == H("01ffffff")


@pytest.mark.parametrize(
    "option,message",
    [
        (Preference(256), "option PREFERENCE (7): field 'value': 256 exceeds 255"),
        (IaNa(t1=-1), "option IA_NA (3): field 't1': expected a non-negative integer, got -1"),
        (IaPrefix(prefix_length=300), "option IAPREFIX (26): field 'prefix_length': 300 exceeds 255"),
        (ElapsedTime(True), "option ELAPSED_TIME (8): field 'value': expected a non-negative integer, got true"),  # type: ignore[arg-type]
        (OptionRequest([70000]), "option ORO (6): field 'codes': element 70000 is not an option code"),
    ],
    ids=["preference", "t1", "prefix_length", "bool", "oro"],
)
def test_out_of_range_integer_names_the_option_and_field(option: Option, message: str) -> None:
    with pytest.raises(ValueError) as e:
        Message(MessageType.Solicit, 1, [option]).encode()
    assert str(e.value) == message


def test_hop_count_and_huge_integers() -> None:
    with pytest.raises(ValueError, match=r"^field 'hop_count': 256 exceeds 255$"):
        RelayMessage(hop_count=256).encode()
    with pytest.raises(ValueError, match=r"^msg\['options'\]\[0\]\['value'\]: integer 1180591620717411303424 does not fit in 64 bits$"):
        Message(options=[ElapsedTime(1 << 70)]).encode()


def test_wrong_message_class_for_type() -> None:
    with pytest.raises(ValueError, match=r"^Message\.type: RELAY-FORW is a relay message; use RelayMessage$"):
        Message(MessageType.RelayForw)
    with pytest.raises(ValueError, match=r"^RelayMessage\.type: SOLICIT is not RELAY-FORW or RELAY-REPL$"):
        RelayMessage(MessageType.Solicit)
    with pytest.raises(ValueError, match=r"^Message\.type: 256 is not a valid MessageType$"):
        Message(256)  # type: ignore[arg-type]


def test_unknown_option_with_a_typed_code_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^UnknownOption\.code: 3 is IaNa; use that class$"):
        UnknownOption(3, b"")


def test_field_type_errors() -> None:
    with pytest.raises(TypeError, match=r"^InterfaceId\.data: expected bytes, got str$"):
        InterfaceId("eth0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^IaNa\.options: \[0\]: expected Option, got int$"):
        IaNa(options=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^ClientId\.duid: expected a Duid, got str"):
        ClientId("00:01")  # type: ignore[arg-type]


def test_encode_errors() -> None:
    with pytest.raises(EncodeError, match=r"^DOMAIN_LIST: 'a\.\.b' has an empty label$") as e:
        Message(options=[DomainList(["a..b"])]).encode()
    assert isinstance(e.value, ValueError)
    with pytest.raises(EncodeError, match=r"^DOMAIN_LIST: 'partial' is not fully qualified; only the last name may be partial$"):
        Message(options=[DomainList(["partial", "x."])]).encode()
    with pytest.raises(EncodeError, match=r"^option body: 70000 octets do not fit a 2-octet length$"):
        Message(options=[InterfaceId(bytes(70000))]).encode()
    big = FailoverMessage(options=[InterfaceId(bytes(65535)), InterfaceId(bytes(466))])
    assert len(big.encode()) == 8 + 4 + 65535 + 4 + 466  # fine unframed
    with pytest.raises(EncodeError, match=r"^failover message: 66017 octets do not fit a 2-octet length$"):
        big.encode(framed=True)


# ---- text: arbitrary octets survive ------------------------------------------------------


def test_status_message_surrogateescape_round_trip() -> None:
    text = "café \udcff\udcfe end"
    msg = Message(MessageType.Reply, 1, [StatusCodeOption(StatusCode.UnspecFail, text)])
    data = msg.encode()
    assert data == H("07000001") + tlv(13, b"\x00\x01" + "café ".encode() + b"\xff\xfe end")
    decoded = Message.decode(data)
    assert decoded == msg
    status = decoded.find(StatusCodeOption)
    assert status is not None and status.message == text


def test_undecodable_octets_from_the_wire_reencode_unchanged() -> None:
    raw = b"\x80\xc3(\xff\x00ok"
    data = H("07000001") + tlv(13, b"\x00\x00" + raw) + tlv(130, raw)
    decoded = Message.decode(data)
    assert decoded.options == [
        StatusCodeOption(StatusCode.Success, "\udc80\udcc3(\udcff\x00ok"),
        FRelationshipName("\udc80\udcc3(\udcff\x00ok"),
    ]
    assert decoded.encode() == data
    assert _core.encode_message(_core.decode_message(data)) == data


def test_unencodable_surrogate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^msg\['options'\]\[0\]\['message'\]: string cannot be encoded as UTF-8"):
        Message(options=[StatusCodeOption(StatusCode.Success, "\ud800")]).encode()


# ---- value semantics, enums, DUIDs -------------------------------------------------------


def test_equality_is_by_value_and_class() -> None:
    assert IaAddress("2001:db8::1", 1, 2) == IaAddress(IPv6Address("2001:db8::1"), 1, 2)
    assert IaAddress("2001:db8::1", 1, 2) != IaAddress("2001:db8::1", 1, 3)
    assert ClientId(CLIENT_DUID) != ServerId(CLIENT_DUID)
    assert InterfaceId(bytearray(b"x")) == InterfaceId(b"x")
    assert StatusCodeOption(2) == StatusCodeOption(StatusCode.NoAddrsAvail)


def test_repr_is_readable_and_evaluates_back() -> None:
    msg = Message(MessageType.Request, 1, [ClientId(CLIENT_DUID), IaPd(1, 2, 3, [IaPrefix(4, 5, 56, "2a00:1:1:100::")])])
    text = repr(msg)
    assert text == (
        "Message(type=MessageType.Request, transaction_id=1, options=["
        "ClientId(duid=Duid.from_hex('00:03:00:01:00:01:02:03:04:05')), "
        "IaPd(iaid=1, t1=2, t2=3, options=[IaPrefix(preferred=4, valid=5, prefix_length=56, "
        "prefix=IPv6Address('2a00:1:1:100::'), options=[])])])"
    )
    namespace = {name: getattr(failover6, name) for name in failover6.__all__}
    assert eval(text, {"IPv6Address": IPv6Address, **namespace}) == msg


def test_enum_names_follow_the_codec() -> None:
    for t in MessageType:
        assert str(t) == _core.message_type_name(t)
        assert _core.parse_message_type(str(t)) == t
    for c in OptionCode:
        assert _core.parse_option_code(str(c)) == c
    assert [str(s) for s in StatusCode][:3] == ["Success", "UnspecFail", "NoAddrsAvail"]
    assert str(StatusCode.ExcessiveTimeSkew) == _core.status_name(22) == "ExcessiveTimeSkew"
    assert str(BindingStatus.FreeBackup) == "FREE-BACKUP"
    assert str(ServerState.CommunicationsInterrupted) == "COMMUNICATIONS-INTERRUPTED"
    assert f"{ServerState.PartnerDown}" == "PARTNER-DOWN"
    assert f"{ServerState.PartnerDown:d}" == "4"
    assert str(StatusCode(300)) == "Status-300"
    assert str(ServerState(42)) == "STATE-42"
    assert MessageType.BndUpd.is_failover and not MessageType.Reply.is_failover
    with pytest.raises(ValueError):
        MessageType(256)


def test_duid_constructors() -> None:
    assert Duid.llt(1, 0x18464999, H("001122334455")).raw == H("0001 0001 18464999 001122334455")
    assert Duid.en(9, b"id").raw == H("0002 00000009") + b"id"
    assert Duid.ll(1, MAC).raw == H("0003 0001") + MAC
    u = uuid.UUID("a256e92e-40ab-d0d2-a3ab-3b3ff2ff8998")
    assert Duid.uuid(u).raw == H("0004 a256e92e40abd0d2a3ab3b3ff2ff8998") == Duid.uuid(u.bytes).raw
    assert [d.type for d in (Duid.llt(1, 0, MAC), Duid.en(1, b"x"), Duid.ll(1, MAC), Duid.uuid(u))] == [
        DuidType.Llt, DuidType.En, DuidType.Ll, DuidType.Uuid]
    assert Duid(H("000a0003")).type == 10
    d = Duid.from_hex("00:03:00:01:00:01:02:03:04:05")
    assert d == CLIENT_DUID and str(d) == "00:03:00:01:00:01:02:03:04:05"
    assert d.describe() == "LL hw=1 ll=00:01:02:03:04:05"
    assert hash(d) == hash(Duid.ll(1, MAC))
    with pytest.raises(ValueError):
        Duid.uuid(b"short")


def test_find_and_find_all() -> None:
    msg = Message(options=[IaNa(1), ElapsedTime(3), IaNa(2)])
    assert msg.find(ElapsedTime) == ElapsedTime(3)
    assert msg.find(ServerId) is None
    assert [ia.iaid for ia in msg.find_all(IaNa)] == [1, 2]


def test_failover_time() -> None:
    assert failover6.to_failover_time(946684800) == 0
    assert failover6.to_failover_time(946684800 + 3600.9) == 3600
    assert failover6.to_failover_time(0) == (1 << 32) - 946684800


def test_describe_is_one_line_from_the_codec() -> None:
    request = Message(MessageType.Request, 0xABCDEF, [ClientId(CLIENT_DUID), IA])
    assert request.describe() == (
        "REQUEST xid=0xabcdef client=00:03:00:01:00:01:02:03:04:05 "
        "IA_NA(iaid=1 t1=1800 t2=2880 [2001:db8:1::1000 pref=3000 valid=4000])")
    relay = RelayMessage.wrap(request, link_address="2001:db8:1::1")
    assert relay.describe() == request.describe() + " RELAY-FORW hops=1 [link=2001:db8:1::1 peer=::]"
    state = FailoverMessage(MessageType.State, 3, 5, options=[FServerState(ServerState.Normal), FServerFlags(1)])
    assert state.describe() == "STATE xid=0x000003 sent=5 state=NORMAL flags=0x01"
