"""DHCPv6 (RFC 8415) and RFC 8156 failover messages as Python objects.

Every message and option is a dataclass with named, typed fields; equality is by value and
``repr()`` shows every field. The codec itself is C++ (``impl/wire``): objects convert to and
from its JSON form (the dicts of :mod:`failover6._core`) and the extension does the octets::

    msg = Message(MessageType.Solicit, 0x123456, [ClientId(Duid.ll(1, mac)), ElapsedTime(0)])
    data = msg.encode()
    assert Message.decode(data) == msg

Field names are the JSON field names (``impl/wire/json.h``). Field types: addresses are
:class:`ipaddress.IPv6Address` (a ``str`` is accepted and converted), octet strings ``bytes``,
DUIDs :class:`Duid`, text ``str`` (octets that are not UTF-8 appear as lone surrogates, as with
``errors="surrogateescape"``, and encode back to the same octets), integers ``int``. Integer
ranges are checked when encoding, and the :class:`ValueError` names the option and field.

Malformed octets raise :class:`DecodeError` (a ValueError with ``.offset`` and ``.reason``);
a value that cannot be put on the wire raises :class:`EncodeError` (a ValueError).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import socket
import struct
import types
import typing
import uuid as _uuid
from dataclasses import dataclass, field
from ipaddress import IPv6Address
from typing import Any, Callable, ClassVar, NamedTuple, TypeVar, Union

from . import _core
from ._core import DecodeError, EncodeError, FrameSplitter, split_frames

#: What the decoders accept: any contiguous bytes-like object.
Buffer = Union[bytes, bytearray, memoryview]

#: Seconds between the Unix epoch and 2000-01-01T00:00:00Z, the RFC 8156 §3 time base.
FAILOVER_EPOCH_UNIX: int = _core.FAILOVER_EPOCH_UNIX
#: Deepest relay nesting the decoder accepts.
MAX_RELAY_DEPTH: int = _core.MAX_RELAY_DEPTH

__all__ = [
    "Buffer", "DecodeError", "EncodeError", "FrameSplitter", "split_frames",
    "FAILOVER_EPOCH_UNIX", "MAX_RELAY_DEPTH", "to_failover_time",
    "MessageType", "OptionCode", "StatusCode", "DuidType", "BindingStatus", "ServerState",
    "Duid", "Option", "UnknownOption", "VendorSubOption",
    "Message", "RelayMessage", "FailoverMessage", "decode_message", "decode_failover",
    "ClientId", "ServerId", "IaNa", "IaTa", "IaAddress", "OptionRequest", "Preference",
    "ElapsedTime", "RelayMsg", "Auth", "Unicast", "StatusCodeOption", "RapidCommit",
    "UserClass", "VendorClass", "VendorOpts", "InterfaceId", "ReconfMsg", "ReconfAccept",
    "DnsServers", "DomainList", "IaPd", "IaPrefix", "InformationRefreshTime", "RemoteId",
    "SubscriberId", "ClientFqdn", "ClientData", "CltTime", "LqRelayData", "RelayId", "Vss",
    "SolMaxRt", "InfMaxRt", "LqBaseTime",
    "FBindingStatus", "FConnectFlags", "FDnsRemovalInfo", "FDnsHostName", "FDnsZoneName",
    "FDnsFlags", "FExpirationTime", "FMaxUnackedBndupd", "FMclt", "FPartnerLifetime",
    "FPartnerLifetimeSent", "FPartnerDownTime", "FPartnerRawCltTime", "FProtocolVersion",
    "FKeepaliveTime", "FReconfigureData", "FRelationshipName", "FServerFlags", "FServerState",
    "FStartTimeOfState", "FStateExpirationTime",
]


def to_failover_time(unix_seconds: float) -> int:
    """Seconds since 2000-01-01 UTC mod 2**32 for a Unix time (RFC 8156 §3)."""
    return (int(unix_seconds) - FAILOVER_EPOCH_UNIX) % (1 << 32)


# ---- Enumerations (names as in impl/wire/constants.h) ------------------------------------


class _WireEnum(enum.IntEnum):
    """An IntEnum whose str() is the protocol's spelling and which also holds unassigned
    values (``MessageType(99)`` is ``MessageType.MSG-99``), since the wire can carry them."""

    @classmethod
    def _max_value(cls) -> int:
        return 0xFFFF

    @classmethod
    def _wire_name(cls, value: int) -> str:
        raise NotImplementedError

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= cls._max_value():
            member = int.__new__(cls, value)
            member._name_ = cls._wire_name(value)
            member._value_ = value
            return cls._value2member_map_.setdefault(value, member)
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return self._wire_name(self.value)

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int.__format__(self, spec)


class MessageType(_WireEnum):
    """DHCPv6 message types (IANA registry); str() gives 'SOLICIT', 'BNDUPD', ..."""

    Solicit = 1
    Advertise = 2
    Request = 3
    Confirm = 4
    Renew = 5
    Rebind = 6
    Reply = 7
    Release = 8
    Decline = 9
    Reconfigure = 10
    InformationRequest = 11
    RelayForw = 12
    RelayRepl = 13
    Leasequery = 14
    LeasequeryReply = 15
    LeasequeryDone = 16
    LeasequeryData = 17
    ReconfigureRequest = 18
    ReconfigureReply = 19
    Dhcpv4Query = 20
    Dhcpv4Response = 21
    ActiveLeasequery = 22
    StartTls = 23
    BndUpd = 24
    BndReply = 25
    PoolReq = 26
    PoolResp = 27
    UpdReq = 28
    UpdReqAll = 29
    UpdDone = 30
    Connect = 31
    ConnectReply = 32
    Disconnect = 33
    State = 34
    Contact = 35

    @classmethod
    def _max_value(cls) -> int:
        return 0xFF

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return _core.message_type_name(value)

    @property
    def is_relay(self) -> bool:
        """True for RELAY-FORW and RELAY-REPL."""
        return self in (MessageType.RelayForw, MessageType.RelayRepl)

    @property
    def is_failover(self) -> bool:
        """True for the RFC 8156 messages 24..35."""
        return 24 <= self.value <= 35


class OptionCode(_WireEnum):
    """Option codes with a typed option class; str() gives 'IA_NA', 'F_MCLT', ..."""

    ClientId = 1
    ServerId = 2
    IaNa = 3
    IaTa = 4
    IaAddr = 5
    Oro = 6
    Preference = 7
    ElapsedTime = 8
    RelayMsg = 9
    Auth = 11
    Unicast = 12
    StatusCode = 13
    RapidCommit = 14
    UserClass = 15
    VendorClass = 16
    VendorOpts = 17
    InterfaceId = 18
    ReconfMsg = 19
    ReconfAccept = 20
    DnsServers = 23
    DomainList = 24
    IaPd = 25
    IaPrefix = 26
    InformationRefreshTime = 32
    RemoteId = 37
    SubscriberId = 38
    ClientFqdn = 39
    ClientData = 45
    CltTime = 46
    LqRelayData = 47
    RelayId = 53
    Vss = 68
    SolMaxRt = 82
    InfMaxRt = 83
    LqBaseTime = 100
    FBindingStatus = 114
    FConnectFlags = 115
    FDnsRemovalInfo = 116
    FDnsHostName = 117
    FDnsZoneName = 118
    FDnsFlags = 119
    FExpirationTime = 120
    FMaxUnackedBndupd = 121
    FMclt = 122
    FPartnerLifetime = 123
    FPartnerLifetimeSent = 124
    FPartnerDownTime = 125
    FPartnerRawCltTime = 126
    FProtocolVersion = 127
    FKeepaliveTime = 128
    FReconfigureData = 129
    FRelationshipName = 130
    FServerFlags = 131
    FServerState = 132
    FStartTimeOfState = 133
    FStateExpirationTime = 134

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return _core.option_name(value)


class StatusCode(_WireEnum):
    """Status codes (RFC 8415 §21.13, RFC 5007, 5460, 7653, 8156 §5.6)."""

    Success = 0
    UnspecFail = 1
    NoAddrsAvail = 2
    NoBinding = 3
    NotOnLink = 4
    UseMulticast = 5
    NoPrefixAvail = 6
    UnknownQueryType = 7
    MalformedQuery = 8
    NotConfigured = 9
    NotAllowed = 10
    QueryTerminated = 11
    DataMissing = 12
    CatchUpComplete = 13
    NotSupported = 14
    TlsConnectionRefused = 15
    AddressInUse = 16
    ConfigurationConflict = 17
    MissingBindingInformation = 18
    OutdatedBindingInformation = 19
    ServerShuttingDown = 20
    DnsUpdateNotSupported = 21
    ExcessiveTimeSkew = 22

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return _core.status_name(value)


class DuidType(_WireEnum):
    """DUID types (RFC 8415 §11, RFC 6355)."""

    Llt = 1
    En = 2
    Ll = 3
    Uuid = 4

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return {1: "DUID-LLT", 2: "DUID-EN", 3: "DUID-LL", 4: "DUID-UUID"}.get(value, f"DUID-{value}")


class BindingStatus(_WireEnum):
    """Lease binding status (RFC 8156 §5.4.1); str() gives 'ACTIVE', 'FREE-BACKUP', ..."""

    Active = 1
    Expired = 2
    Released = 3
    PendingFree = 4
    Free = 5
    FreeBackup = 6
    Abandoned = 7
    Reset = 8

    @classmethod
    def _max_value(cls) -> int:
        return 0xFF

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return _core.binding_status_name(value)


class ServerState(_WireEnum):
    """Failover endpoint states (RFC 8156 §5.4.19); str() gives 'NORMAL', 'PARTNER-DOWN', ..."""

    Startup = 1
    Normal = 2
    CommunicationsInterrupted = 3
    PartnerDown = 4
    PotentialConflict = 5
    Recover = 6
    RecoverWait = 7
    RecoverDone = 8
    ResolutionInterrupted = 9
    ConflictDone = 10

    @classmethod
    def _max_value(cls) -> int:
        return 0xFF

    @classmethod
    def _wire_name(cls, value: int) -> str:
        return _core.server_state_name(value)


# ---- DUID --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class Duid:
    """A DHCP Unique Identifier (RFC 8415 §11) kept as its raw octets, type code included, so
    every DUID re-encodes byte for byte. Not validated here: the decoder rejects DUIDs outside
    3..130 octets, so a shorter or longer one can be sent but not received."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes):
            object.__setattr__(self, "raw", _coerce_bytes(self.raw))

    @classmethod
    def llt(cls, hardware_type: int, time: int, link_layer: bytes) -> Duid:
        """DUID-LLT (RFC 8415 §11.2); @p time in seconds since 2000-01-01 UTC mod 2**32."""
        return cls(struct.pack("!HHI", 1, hardware_type, time) + bytes(link_layer))

    @classmethod
    def en(cls, enterprise: int, identifier: bytes) -> Duid:
        """DUID-EN (RFC 8415 §11.3)."""
        return cls(struct.pack("!HI", 2, enterprise) + bytes(identifier))

    @classmethod
    def ll(cls, hardware_type: int, link_layer: bytes) -> Duid:
        """DUID-LL (RFC 8415 §11.4)."""
        return cls(struct.pack("!HH", 3, hardware_type) + bytes(link_layer))

    @classmethod
    def uuid(cls, value: _uuid.UUID | bytes) -> Duid:
        """DUID-UUID (RFC 6355 §4) from a UUID or its 16 octets."""
        octets = value.bytes if isinstance(value, _uuid.UUID) else bytes(value)
        if len(octets) != 16:
            raise ValueError(f"a UUID has 16 octets, got {len(octets)}")
        return cls(struct.pack("!H", 4) + octets)

    @classmethod
    def from_hex(cls, text: str) -> Duid:
        """Parses hex with optional ':' or '-' separators, as Kea prints DUIDs."""
        return cls(bytes.fromhex(text.replace(":", "").replace("-", "")))

    @property
    def type(self) -> DuidType:
        """The DUID type code (0 when fewer than two octets are held)."""
        return DuidType(int.from_bytes(self.raw[:2], "big") if len(self.raw) >= 2 else 0)

    def describe(self) -> str:
        """Short description: 'LLT hw=1 time=.. ll=..', 'EN 9 id=..', 'LL ..', 'UUID ..'."""
        return _core.describe_duid(self.raw)

    def __str__(self) -> str:
        return self.raw.hex(":")

    def __repr__(self) -> str:
        return f"Duid.from_hex('{self}')"


# ---- Field conversion, driven by the dataclass annotations -------------------------------


class _Conv(NamedTuple):
    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]
    coerce: Callable[[Any], Any]  # raises TypeError/ValueError without the field name


def _identity(v: Any) -> Any:
    return v


def _coerce_bytes(v: Any) -> bytes:
    if isinstance(v, bytes):
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"expected bytes, got {type(v).__name__}")


def _parse_address(text: str) -> IPv6Address:
    """IPv6Address(text), ten times faster through inet_pton for the codec's RFC 5952 text."""
    try:
        return IPv6Address(socket.inet_pton(socket.AF_INET6, text))
    except (OSError, TypeError, ValueError):
        return IPv6Address(text)  # raises the usual AddressValueError


def _coerce_address(v: Any) -> IPv6Address:
    if isinstance(v, IPv6Address):
        return v
    if isinstance(v, (str, bytes, int)) and not isinstance(v, bool):
        try:
            return _parse_address(v) if isinstance(v, str) else IPv6Address(v)
        except ValueError as e:
            raise ValueError(f"{v!r} is not an IPv6 address ({e})") from None
    raise TypeError(f"expected an IPv6 address, got {type(v).__name__}")


def _coerce_duid(v: Any) -> Duid:
    if isinstance(v, Duid):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return Duid(bytes(v))
    raise TypeError(f"expected a Duid, got {type(v).__name__} (use Duid.from_hex for text)")


def _checker(*kinds: type) -> Callable[[Any], Any]:
    names = " or ".join(k.__name__ for k in kinds)

    def check(v: Any) -> Any:
        if not isinstance(v, kinds):
            raise TypeError(f"expected {names}, got {type(v).__name__}")
        return v

    return check


def _list_conv(inner: _Conv) -> _Conv:
    def coerce(v: Any) -> list[Any]:
        if isinstance(v, (str, bytes)) or not isinstance(v, collections.abc.Iterable):
            raise TypeError(f"expected a list, got {type(v).__name__}")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(inner.coerce(x))
            except (TypeError, ValueError) as e:
                raise type(e)(f"[{i}]: {e}") from None
        if type(v) is list and all(a is b for a, b in zip(out, v)):
            return v  # keep the caller's list when nothing changed
        return out

    return _Conv(
        lambda v: [inner.to_json(x) for x in v],
        lambda v: [inner.from_json(x) for x in v],
        coerce,
    )


def _conv_for(hint: Any) -> _Conv:
    if hint in (int, str, bool):
        return _Conv(_identity, _identity, _identity)
    if hint is bytes:
        return _Conv(bytes.hex, bytes.fromhex, _coerce_bytes)
    if hint is IPv6Address:
        return _Conv(str, _parse_address, _coerce_address)
    if hint is Duid:
        return _Conv(str, Duid.from_hex, _coerce_duid)
    if isinstance(hint, type) and issubclass(hint, enum.IntEnum):
        return _Conv(int, hint, hint)
    if typing.get_origin(hint) is list:
        return _list_conv(_conv_for(typing.get_args(hint)[0]))
    if hint is Option:
        return _Conv(lambda v: v.to_dict(), Option.from_dict, _checker(Option))
    if isinstance(hint, type) and issubclass(hint, _Record):
        return _Conv(lambda v: v.to_dict(), hint.from_dict, _checker(hint))
    if typing.get_origin(hint) in (Union, types.UnionType) and set(typing.get_args(hint)) == {
        Message,
        RelayMessage,
    }:
        return _Conv(lambda v: v.to_dict(), _message_from_dict, _checker(Message, RelayMessage))
    raise TypeError(f"no conversion for field type {hint!r}")


_SPECS: dict[type, tuple[tuple[str, _Conv], ...]] = {}


def _spec(cls: type) -> tuple[tuple[str, _Conv], ...]:
    """(field name, conversion) for each dataclass field of @p cls, computed on first use."""
    spec = _SPECS.get(cls)
    if spec is None:
        hints = typing.get_type_hints(cls)
        spec = tuple((f.name, _conv_for(hints[f.name])) for f in dataclasses.fields(cls))
        _SPECS[cls] = spec
    return spec


_R = TypeVar("_R", bound="_Record")


class _Record:
    """Base of the dataclasses here: converts to and from the JSON form field by field and
    coerces constructor arguments (str -> IPv6Address, bytearray -> bytes, int -> enum),
    raising TypeError/ValueError that names the class and field."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for name, conv in _spec(type(self)):
            value = getattr(self, name)
            try:
                new = conv.coerce(value)
            except (TypeError, ValueError) as e:
                kind = TypeError if isinstance(e, TypeError) else ValueError
                raise kind(f"{type(self).__name__}.{name}: {e}") from None
            if new is not value:
                setattr(self, name, new)
        self._validate()

    def _validate(self) -> None:
        """Checks across fields; overridden where needed."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (as the dicts of failover6._core)."""
        return {name: conv.to_json(getattr(self, name)) for name, conv in _spec(type(self))}

    @classmethod
    def from_dict(cls: type[_R], d: dict[str, Any]) -> _R:
        """Builds from the JSON form; keys that are not fields ('option', ...) are ignored."""
        return _build(cls, d)


def _build(cls: type[_R], d: dict[str, Any]) -> _R:
    if "msg_type" in d:
        # A message as the decoder gives it: "type" is the name, "msg_type" the number.
        d = {**d, "type": d["msg_type"]}
    spec = _spec(cls)
    if not all(name in d for name, _ in spec):
        return cls(**{name: conv.from_json(d[name]) for name, conv in spec if name in d})
    # Every field given (always so for the codec's dicts): the conversions already produce the
    # field types, so skip __init__'s coercion, which would only re-check them (decoding a
    # capture is several times faster this way).
    obj = object.__new__(cls)
    for name, conv in spec:
        object.__setattr__(obj, name, conv.from_json(d[name]))
    obj._validate()
    return obj


# ---- Options -----------------------------------------------------------------------------

_OPTION_CLASSES: dict[int, type[Option]] = {}
_O = TypeVar("_O", bound="Option")


def _option(code: int) -> Callable[[type[_O]], type[_O]]:
    """Registers an option class under its code."""

    def register(cls: type[_O]) -> type[_O]:
        cls.CODE = code
        _OPTION_CLASSES[code] = cls
        return cls

    return register


class Option(_Record):
    """Base of every option class. ``code`` is the option code, ``option_name`` its IANA name
    without OPTION_ ('IA_NA')."""

    __slots__ = ()
    CODE: ClassVar[int]

    @property
    def code(self) -> int:
        return self.CODE

    @property
    def option_name(self) -> str:
        return _core.option_name(self.code)

    def to_dict(self) -> dict[str, Any]:
        d = _Record.to_dict(self)
        d["code"] = self.code
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Option:
        """Builds the option class registered for d['code'] (UnknownOption if none)."""
        return _build(_OPTION_CLASSES.get(d["code"], UnknownOption), d)


class _HasOptions:
    """find()/find_all() for records with an ``options`` list."""

    __slots__ = ()
    options: list[Option]

    def find(self, kind: type[_O]) -> _O | None:
        """The first option of class @p kind, or None."""
        for o in self.options:
            if isinstance(o, kind):
                return o
        return None

    def find_all(self, kind: type[_O]) -> list[_O]:
        """Every option of class @p kind, in order."""
        return [o for o in self.options if isinstance(o, kind)]


@dataclass(slots=True)
class UnknownOption(Option):
    """Any option without a typed class here (e.g. AFTR_NAME, MUD_URL): raw octets, re-encoded
    byte for byte. Codes that have a class must use it."""

    code: int = 0
    data: bytes = b""

    def _validate(self) -> None:
        cls = _OPTION_CLASSES.get(self.code)
        if cls is not None:
            raise ValueError(f"UnknownOption.code: {self.code} is {cls.__name__}; use that class")


@_option(1)
@dataclass(slots=True)
class ClientId(Option):
    """OPTION_CLIENTID (1), RFC 8415 §21.2."""

    duid: Duid


@_option(2)
@dataclass(slots=True)
class ServerId(Option):
    """OPTION_SERVERID (2), RFC 8415 §21.3."""

    duid: Duid


@_option(3)
@dataclass(slots=True)
class IaNa(Option, _HasOptions):
    """OPTION_IA_NA (3), RFC 8415 §21.4: options are IAADDR, STATUS_CODE, ..."""

    iaid: int = 0
    t1: int = 0
    t2: int = 0
    options: list[Option] = field(default_factory=list)


@_option(4)
@dataclass(slots=True)
class IaTa(Option, _HasOptions):
    """OPTION_IA_TA (4), RFC 8415 §21.5."""

    iaid: int = 0
    options: list[Option] = field(default_factory=list)


@_option(5)
@dataclass(slots=True)
class IaAddress(Option, _HasOptions):
    """OPTION_IAADDR (5), RFC 8415 §21.6; in RFC 8156 BNDUPDs it carries the F_* options."""

    address: IPv6Address = IPv6Address("::")
    preferred: int = 0
    valid: int = 0
    options: list[Option] = field(default_factory=list)


@_option(6)
@dataclass(slots=True)
class OptionRequest(Option):
    """OPTION_ORO (6), RFC 8415 §21.7: requested option codes."""

    codes: list[int] = field(default_factory=list)


@_option(7)
@dataclass(slots=True)
class Preference(Option):
    """OPTION_PREFERENCE (7), RFC 8415 §21.8 (0..255)."""

    value: int = 0


@_option(8)
@dataclass(slots=True)
class ElapsedTime(Option):
    """OPTION_ELAPSED_TIME (8), RFC 8415 §21.9, in hundredths of a second."""

    value: int = 0


@_option(9)
@dataclass(slots=True)
class RelayMsg(Option):
    """OPTION_RELAY_MSG (9), RFC 8415 §21.10: the relayed message, decoded."""

    message: Message | RelayMessage


@_option(11)
@dataclass(slots=True)
class Auth(Option):
    """OPTION_AUTH (11), RFC 8415 §21.11; the authentication information is opaque."""

    protocol: int = 0
    algorithm: int = 0
    rdm: int = 0
    replay_detection: int = 0
    info: bytes = b""


@_option(12)
@dataclass(slots=True)
class Unicast(Option):
    """OPTION_UNICAST (12), RFC 8415 §21.12."""

    address: IPv6Address = IPv6Address("::")


@_option(13)
@dataclass(slots=True)
class StatusCodeOption(Option):
    """OPTION_STATUS_CODE (13), RFC 8415 §21.13. ``message`` is UTF-8 text; octets that are
    not UTF-8 appear as lone surrogates and encode back unchanged. (The class is not named
    StatusCode because that is the enumeration of status values.)"""

    status: StatusCode = StatusCode.Success
    message: str = ""


@_option(14)
@dataclass(slots=True)
class RapidCommit(Option):
    """OPTION_RAPID_COMMIT (14), RFC 8415 §21.14."""


@_option(15)
@dataclass(slots=True)
class UserClass(Option):
    """OPTION_USER_CLASS (15), RFC 8415 §21.15."""

    classes: list[bytes] = field(default_factory=list)


@_option(16)
@dataclass(slots=True)
class VendorClass(Option):
    """OPTION_VENDOR_CLASS (16), RFC 8415 §21.16."""

    enterprise: int = 0
    classes: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class VendorSubOption(_Record):
    """One sub-option of VENDOR_OPTS: code(2) length(2) data."""

    code: int = 0
    data: bytes = b""


@_option(17)
@dataclass(slots=True)
class VendorOpts(Option):
    """OPTION_VENDOR_OPTS (17), RFC 8415 §21.17."""

    enterprise: int = 0
    options: list[VendorSubOption] = field(default_factory=list)


@_option(18)
@dataclass(slots=True)
class InterfaceId(Option):
    """OPTION_INTERFACE_ID (18), RFC 8415 §21.18."""

    data: bytes = b""


@_option(19)
@dataclass(slots=True)
class ReconfMsg(Option):
    """OPTION_RECONF_MSG (19), RFC 8415 §21.19: the message type the client is to send."""

    value: int = 0


@_option(20)
@dataclass(slots=True)
class ReconfAccept(Option):
    """OPTION_RECONF_ACCEPT (20), RFC 8415 §21.20."""


@_option(23)
@dataclass(slots=True)
class DnsServers(Option):
    """OPTION_DNS_SERVERS (23), RFC 3646 §3."""

    servers: list[IPv6Address] = field(default_factory=list)


@_option(24)
@dataclass(slots=True)
class DomainList(Option):
    """OPTION_DOMAIN_LIST (24), RFC 3646 §4: names in presentation form ('example.com.' is
    fully qualified; only the last name may be partial)."""

    domains: list[str] = field(default_factory=list)


@_option(25)
@dataclass(slots=True)
class IaPd(Option, _HasOptions):
    """OPTION_IA_PD (25), RFC 8415 §21.21: options are IAPREFIX, STATUS_CODE, ..."""

    iaid: int = 0
    t1: int = 0
    t2: int = 0
    options: list[Option] = field(default_factory=list)


@_option(26)
@dataclass(slots=True)
class IaPrefix(Option, _HasOptions):
    """OPTION_IAPREFIX (26), RFC 8415 §21.22; also a top-level option of RFC 8156 BNDUPDs."""

    preferred: int = 0
    valid: int = 0
    prefix_length: int = 0
    prefix: IPv6Address = IPv6Address("::")
    options: list[Option] = field(default_factory=list)


@_option(32)
@dataclass(slots=True)
class InformationRefreshTime(Option):
    """OPTION_INFORMATION_REFRESH_TIME (32), RFC 8415 §21.23 (seconds)."""

    value: int = 0


@_option(37)
@dataclass(slots=True)
class RemoteId(Option):
    """OPTION_REMOTE_ID (37), RFC 4649 §3."""

    enterprise: int = 0
    remote_id: bytes = b""


@_option(38)
@dataclass(slots=True)
class SubscriberId(Option):
    """OPTION_SUBSCRIBER_ID (38), RFC 4580 §2."""

    data: bytes = b""


@_option(39)
@dataclass(slots=True)
class ClientFqdn(Option):
    """OPTION_CLIENT_FQDN (39), RFC 4704 §4: flags (N 0x4, O 0x2, S 0x1) and a name in
    presentation form (partial without the trailing '.')."""

    N: ClassVar[int] = 0x4
    O: ClassVar[int] = 0x2  # noqa: E741
    S: ClassVar[int] = 0x1

    flags: int = 0
    name: str = ""


@_option(45)
@dataclass(slots=True)
class ClientData(Option, _HasOptions):
    """OPTION_CLIENT_DATA (45), RFC 5007 §4.1.2.2: one client's data (leasequery, BNDUPD)."""

    options: list[Option] = field(default_factory=list)


@_option(46)
@dataclass(slots=True)
class CltTime(Option):
    """OPTION_CLT_TIME (46), RFC 5007 §4.1.2.3 (seconds)."""

    value: int = 0


@_option(47)
@dataclass(slots=True)
class LqRelayData(Option):
    """OPTION_LQ_RELAY_DATA (47), RFC 5007 §4.1.2.4: peer address and the relay message."""

    peer_address: IPv6Address = IPv6Address("::")
    message: Message | RelayMessage = field(default_factory=lambda: RelayMessage())


@_option(53)
@dataclass(slots=True)
class RelayId(Option):
    """OPTION_RELAY_ID (53), RFC 5460 §5.4.1: the relay's DUID."""

    duid: Duid


@_option(68)
@dataclass(slots=True)
class Vss(Option):
    """OPTION_VSS (68), RFC 6607 §3.1: VPN identifier type and information."""

    type: int = 0
    info: bytes = b""


@_option(82)
@dataclass(slots=True)
class SolMaxRt(Option):
    """OPTION_SOL_MAX_RT (82), RFC 8415 §21.24 (seconds)."""

    value: int = 0


@_option(83)
@dataclass(slots=True)
class InfMaxRt(Option):
    """OPTION_INF_MAX_RT (83), RFC 8415 §21.25 (seconds)."""

    value: int = 0


@_option(100)
@dataclass(slots=True)
class LqBaseTime(Option):
    """OPTION_LQ_BASE_TIME (100), RFC 7653 §5.3.1 (seconds since 2000-01-01 UTC)."""

    value: int = 0


# RFC 8156 §5.4 failover options. Times are absolute (seconds since 2000-01-01 UTC) unless
# noted; see to_failover_time().


@_option(114)
@dataclass(slots=True)
class FBindingStatus(Option):
    """OPTION_F_BINDING_STATUS (114), RFC 8156 §5.4.1."""

    value: BindingStatus


@_option(115)
@dataclass(slots=True)
class FConnectFlags(Option):
    """OPTION_F_CONNECT_FLAGS (115), RFC 8156 §5.4.2."""

    FIXED_PD_LENGTH: ClassVar[int] = 0x0001

    value: int = 0


@_option(116)
@dataclass(slots=True)
class FDnsRemovalInfo(Option, _HasOptions):
    """OPTION_F_DNS_REMOVAL_INFO (116), RFC 8156 §5.4.3: F_DNS_HOST_NAME, _ZONE_NAME, _FLAGS."""

    options: list[Option] = field(default_factory=list)


@_option(117)
@dataclass(slots=True)
class FDnsHostName(Option):
    """OPTION_F_DNS_HOST_NAME (117), RFC 8156 §5.4.4 (presentation form)."""

    name: str = ""


@_option(118)
@dataclass(slots=True)
class FDnsZoneName(Option):
    """OPTION_F_DNS_ZONE_NAME (118), RFC 8156 §5.4.5 (presentation form)."""

    name: str = ""


@_option(119)
@dataclass(slots=True)
class FDnsFlags(Option):
    """OPTION_F_DNS_FLAGS (119), RFC 8156 §5.4.6."""

    U: ClassVar[int] = 0x0008
    S: ClassVar[int] = 0x0004
    R: ClassVar[int] = 0x0002
    F: ClassVar[int] = 0x0001

    value: int = 0


@_option(120)
@dataclass(slots=True)
class FExpirationTime(Option):
    """OPTION_F_EXPIRATION_TIME (120), RFC 8156 §5.4.7."""

    value: int = 0


@_option(121)
@dataclass(slots=True)
class FMaxUnackedBndupd(Option):
    """OPTION_F_MAX_UNACKED_BNDUPD (121), RFC 8156 §5.4.8 (a count)."""

    value: int = 0


@_option(122)
@dataclass(slots=True)
class FMclt(Option):
    """OPTION_F_MCLT (122), RFC 8156 §5.4.9 (seconds)."""

    value: int = 0


@_option(123)
@dataclass(slots=True)
class FPartnerLifetime(Option):
    """OPTION_F_PARTNER_LIFETIME (123), RFC 8156 §5.4.10."""

    value: int = 0


@_option(124)
@dataclass(slots=True)
class FPartnerLifetimeSent(Option):
    """OPTION_F_PARTNER_LIFETIME_SENT (124), RFC 8156 §5.4.11."""

    value: int = 0


@_option(125)
@dataclass(slots=True)
class FPartnerDownTime(Option):
    """OPTION_F_PARTNER_DOWN_TIME (125), RFC 8156 §5.4.12."""

    value: int = 0


@_option(126)
@dataclass(slots=True)
class FPartnerRawCltTime(Option):
    """OPTION_F_PARTNER_RAW_CLT_TIME (126), RFC 8156 §5.4.13."""

    value: int = 0


@_option(127)
@dataclass(slots=True)
class FProtocolVersion(Option):
    """OPTION_F_PROTOCOL_VERSION (127), RFC 8156 §5.4.14: 1.0 initially."""

    major: int = 1
    minor: int = 0


@_option(128)
@dataclass(slots=True)
class FKeepaliveTime(Option):
    """OPTION_F_KEEPALIVE_TIME (128), RFC 8156 §5.4.15 (seconds)."""

    value: int = 0


@_option(129)
@dataclass(slots=True)
class FReconfigureData(Option):
    """OPTION_F_RECONFIGURE_DATA (129), RFC 8156 §5.4.16: key creation time and the key."""

    time: int = 0
    key: bytes = b""


@_option(130)
@dataclass(slots=True)
class FRelationshipName(Option):
    """OPTION_F_RELATIONSHIP_NAME (130), RFC 8156 §5.4.17 (UTF-8, see StatusCodeOption)."""

    name: str = ""


@_option(131)
@dataclass(slots=True)
class FServerFlags(Option):
    """OPTION_F_SERVER_FLAGS (131), RFC 8156 §5.4.18."""

    ACK_STARTUP: ClassVar[int] = 0x04
    STARTUP: ClassVar[int] = 0x02
    COMMUNICATED: ClassVar[int] = 0x01

    value: int = 0


@_option(132)
@dataclass(slots=True)
class FServerState(Option):
    """OPTION_F_SERVER_STATE (132), RFC 8156 §5.4.19."""

    value: ServerState


@_option(133)
@dataclass(slots=True)
class FStartTimeOfState(Option):
    """OPTION_F_START_TIME_OF_STATE (133), RFC 8156 §5.4.20."""

    value: int = 0


@_option(134)
@dataclass(slots=True)
class FStateExpirationTime(Option):
    """OPTION_F_STATE_EXPIRATION_TIME (134), RFC 8156 §5.4.21."""

    value: int = 0


# ---- Messages ----------------------------------------------------------------------------


class _DhcpMessage(_Record, _HasOptions):
    """What Message and RelayMessage share: encode(), decode(), innermost."""

    __slots__ = ()

    def encode(self) -> bytes:
        """The wire form (a UDP payload). Raises ValueError naming a bad field, EncodeError."""
        return _core.encode_message(self.to_dict())

    def describe(self) -> str:
        """One line for logs: type, xid, client DUID, IAs with their leases, status codes and
        the relay hops, e.g. "REQUEST xid=0xabcdef client=00:01:.. IA_NA(iaid=1 ...)"."""
        return _core.describe_message(self.to_dict())

    @classmethod
    def decode(cls, data: Buffer) -> Message | RelayMessage:
        """Decodes a UDP payload: a RelayMessage for RELAY-FORW/REPL, else a Message.
        Raises DecodeError on malformed octets."""
        return _message_from_dict(_core.decode_message(data))

    @property
    def innermost(self) -> Message | RelayMessage:
        """The message at the bottom of any relay nesting (self for a Message)."""
        m: Message | RelayMessage = self  # type: ignore[assignment]
        while isinstance(m, RelayMessage) and (inner := m.relayed) is not None:
            m = inner
        return m


@dataclass(slots=True)
class Message(_DhcpMessage):
    """A client/server DHCPv6 message (RFC 8415 §8): msg-type, 24-bit transaction-id,
    options. Relay messages are RelayMessage; failover messages FailoverMessage."""

    type: MessageType = MessageType.Solicit
    transaction_id: int = 0
    options: list[Option] = field(default_factory=list)

    def _validate(self) -> None:
        if self.type.is_relay:
            raise ValueError(f"Message.type: {self.type} is a relay message; use RelayMessage")


@dataclass(slots=True)
class RelayMessage(_DhcpMessage):
    """A RELAY-FORW or RELAY-REPL message (RFC 8415 §9); the relayed message is in its
    RelayMsg option (see wrap(), relayed, innermost)."""

    type: MessageType = MessageType.RelayForw
    hop_count: int = 0
    link_address: IPv6Address = IPv6Address("::")
    peer_address: IPv6Address = IPv6Address("::")
    options: list[Option] = field(default_factory=list)

    def _validate(self) -> None:
        if not self.type.is_relay:
            raise ValueError(f"RelayMessage.type: {self.type} is not RELAY-FORW or RELAY-REPL")

    @classmethod
    def wrap(
        cls,
        message: Message | RelayMessage,
        *,
        type: MessageType = MessageType.RelayForw,
        link_address: IPv6Address | str = IPv6Address("::"),
        peer_address: IPv6Address | str = IPv6Address("::"),
        hop_count: int | None = None,
        options: collections.abc.Iterable[Option] = (),
    ) -> RelayMessage:
        """A relay message around @p message: @p options, then RelayMsg(message). The hop
        count defaults to 0 around a client message and one more than an inner relay's."""
        if hop_count is None:
            hop_count = message.hop_count + 1 if isinstance(message, RelayMessage) else 0
        return cls(type, hop_count, link_address, peer_address,  # type: ignore[arg-type]
                   [*options, RelayMsg(message)])

    @property
    def relayed(self) -> Message | RelayMessage | None:
        """The message in the first RelayMsg option, or None."""
        r = self.find(RelayMsg)
        return r.message if r is not None else None

    @property
    def relay_depth(self) -> int:
        """Relay layers around the innermost message (1 for a relay around a client message)."""
        n = 0
        m: Message | RelayMessage | None = self
        while isinstance(m, RelayMessage) and (m := m.relayed) is not None:
            n += 1
        return n


def _message_from_dict(d: dict[str, Any]) -> Message | RelayMessage:
    t = d.get("msg_type", d.get("type"))
    if t in (MessageType.RelayForw, MessageType.RelayRepl):
        return RelayMessage.from_dict(d)
    return Message.from_dict(d)


def decode_message(data: Buffer) -> Message | RelayMessage:
    """Decodes a DHCPv6 UDP payload (same as Message.decode). Raises DecodeError."""
    return _message_from_dict(_core.decode_message(data))


@dataclass(slots=True)
class FailoverMessage(_Record, _HasOptions):
    """An RFC 8156 message on the failover TCP connection (§5.2): msg-type, 24-bit
    transaction-id, sent-time (seconds since 2000-01-01 UTC mod 2**32), options.

    STARTTLS (23) and its REPLY (7) may come without sent-time (PROTOCOL.md ambiguity A7):
    has_sent_time records which form was received so that it re-encodes byte for byte."""

    type: MessageType = MessageType.Contact
    transaction_id: int = 0
    sent_time: int = 0
    has_sent_time: bool = True
    options: list[Option] = field(default_factory=list)

    def encode(self, framed: bool = False) -> bytes:
        """The wire form; with framed=True prefixed with its 2-octet length (RFC 8156 §5.1)."""
        return _core.encode_failover(self.to_dict(), framed=framed)

    def describe(self) -> str:
        """One line for logs: type, xid, sent-time and the options that matter for the type
        (state for STATE, MCLT for CONNECT, leases and binding status for BNDUPD, ...)."""
        return _core.describe_failover(self.to_dict())

    @classmethod
    def decode(cls, data: Buffer) -> FailoverMessage:
        """Decodes one message without its length prefix (see split_frames, FrameSplitter).
        Raises DecodeError on malformed octets or a type not used on the connection."""
        return cls.from_dict(_core.decode_failover(data))


def decode_failover(data: Buffer) -> FailoverMessage:
    """Decodes one failover message (same as FailoverMessage.decode). Raises DecodeError."""
    return FailoverMessage.decode(data)
