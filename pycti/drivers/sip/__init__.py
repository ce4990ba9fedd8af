"""The SIP driver: SIP trunks as ports of pycti's switch (RFC 3261 over UDP and TCP, RTP in C).

``SipDriver(SipDriverConfig(listen_host=..., trunks=(SipTrunkConfig(...),)))`` goes into
``pycti.open(config, drivers=[...])``; see :mod:`.driver` for what it does on the wire.
"""

from .config import SipDriverConfig, SipDriverConfigError, SipPhoneConfig, SipTrunkConfig
from .driver import SipDriver
from .transport import TransportStats
from .trunk_registration import TrunkRegistrationStatus

__all__ = ["SipDriver", "SipDriverConfig", "SipDriverConfigError", "SipPhoneConfig", "SipTrunkConfig",
           "TransportStats", "TrunkRegistrationStatus"]
