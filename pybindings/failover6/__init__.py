"""failover6: RFC 8156 DHCPv6 failover toolkit.

The package is a thin, typed layer over the C++ core (the extension :mod:`failover6._core`):

- :mod:`failover6.wire`: DHCPv6 and RFC 8156 messages and options as dataclasses
  (``Message``, ``RelayMessage``, ``FailoverMessage``, ``IaNa``, ``FMclt``, ...), encoded and
  decoded by the C++ codec. Everything in it is also available from the package itself.

Errors: malformed octets raise :class:`DecodeError` (a ValueError with ``.offset`` and
``.reason``); unencodable values raise :class:`EncodeError` (a ValueError).
"""

from . import wire
from ._core import __version__
from .wire import *  # noqa: F403  (the names listed in wire.__all__)

__all__ = ["__version__", "wire"]
__all__ += wire.__all__
