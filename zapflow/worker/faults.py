"""Whose fault a refused send is: the session's (pause it, hand the message to another), the
number's (log a failure, maybe suppress it), the message's, or nobody's (retry)."""

from __future__ import annotations

from enum import StrEnum

from zapflow.whatsapp.protocol import WhatsAppError


class Fault(StrEnum):
    session_overlimit = "session_overlimit"  # 429 rate-overlimit: slow down for a while
    session_restricted = "session_restricted"  # 463: WhatsApp restricted the number
    session_gone = "session_gone"  # 401 / 403 / 440: logged out, banned or replaced
    not_connected = "not_connected"
    not_on_whatsapp = "not_on_whatsapp"
    blocked = "blocked"  # the recipient blocked this number
    bad_message = "bad_message"  # the message itself is wrong (media missing, too large)
    transient = "transient"  # 5xx, time-outs: retry with backoff
    number = "number"  # any other refusal to this number

    @property
    def is_session_fault(self) -> bool:
        return self in SESSION_FAULTS


SESSION_FAULTS = frozenset(
    {Fault.session_overlimit, Fault.session_restricted, Fault.session_gone, Fault.not_connected}
)
_BY_CODE = {
    "429": Fault.session_overlimit,
    "463": Fault.session_restricted,
    "401": Fault.session_gone,
    "403": Fault.session_gone,
    "440": Fault.session_gone,
    "not_connected": Fault.not_connected,
    "not_on_whatsapp": Fault.not_on_whatsapp,
    "blocked": Fault.blocked,
    "bad_media": Fault.bad_message,
}


def classify(error: WhatsAppError) -> Fault:
    if "rate-overlimit" in error.reason.lower():
        return Fault.session_overlimit
    fault = _BY_CODE.get(error.code)
    if fault is not None:
        return fault
    return Fault.transient if error.transient else Fault.number
