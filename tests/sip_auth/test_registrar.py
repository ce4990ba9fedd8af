"""Registrar bindings against the RFC 3261 §10.3 processing steps."""

from __future__ import annotations

import pytest

from pycti.errors import PyctiError
from pycti.sip.registrar import (
    Binding,
    BindingStore,
    ContactSpec,
    RegisterStatus,
    RegistrarError,
    RegistrarPolicy,
    contact_uris_equal,
    process_register,
)

AOR = "sip:bob@biloxi.com"
CALL_ID = "843817637684230@998sdasdh09"
POLICY = RegistrarPolicy(min_expires_s=60, max_expires_s=7200, default_expires_s=3600, max_bindings_per_aor=3)


def store() -> BindingStore:
    return BindingStore(POLICY)


def test_add_refresh_and_expiry_intervals() -> None:
    s = store()
    r = s.register(aor=AOR, contacts=[("<sip:bob@192.0.2.4>", None, 1.0)], call_id=CALL_ID, cseq=1, now_s=0.0,
                   expires_s=600)
    assert r.ok and r.status.status_code == 200
    (b,) = r.bindings
    assert (b.contact_uri, b.expires_at_s, b.call_id, b.cseq) == ("<sip:bob@192.0.2.4>", 600.0, CALL_ID, 1)
    # The contact's expires parameter wins over the Expires header; absent both, the default.
    r = s.register(aor=AOR, contacts=[ContactSpec("sip:bob@192.0.2.4", 900), ContactSpec("sip:bob@198.51.100.7")],
                   call_id=CALL_ID, cseq=2, now_s=100.0, expires_s=None)
    assert [(x.contact_uri, x.expires_at_s) for x in r.bindings] == [("sip:bob@192.0.2.4", 1000.0),
                                                                      ("sip:bob@198.51.100.7", 3700.0)]
    # Too long an interval is shortened to the maximum.
    r = s.register(aor=AOR, contacts=[ContactSpec("sip:bob@192.0.2.4", 86400)], call_id=CALL_ID, cseq=3, now_s=200.0)
    assert r.bindings[0].expires_at_s == 200.0 + 7200
    assert r.bindings[0].expires_in_s(7399.5) == 1


def test_interval_too_brief_gives_423_with_min_expires_and_changes_nothing() -> None:
    s = store()
    s.register(aor=AOR, contacts=[("sip:bob@192.0.2.4", 600, 1.0)], call_id=CALL_ID, cseq=1, now_s=0.0)
    r = s.register(aor=AOR, contacts=[("sip:bob@192.0.2.9", 600, 1.0), ("sip:bob@192.0.2.4", 30, 1.0)],
                   call_id=CALL_ID, cseq=2, now_s=1.0)
    assert r.status is RegisterStatus.INTERVAL_TOO_BRIEF and r.status.status_code == 423
    assert r.min_expires_s == 60
    # All or nothing: the first contact of the failed request was not added.
    assert [b.contact_uri for b in s.lookup(AOR, 2.0)] == ["sip:bob@192.0.2.4"]
    # Zero is removal, never "too brief"; a minimum above one hour never refuses 3600 s or more.
    high = RegistrarPolicy(min_expires_s=7200, max_expires_s=7200, default_expires_s=7200)
    ok = process_register((), aor=AOR, contacts=[("sip:a@h", 3600, 1.0)], call_id="c", cseq=1, now_s=0.0, policy=high)
    assert ok.ok


def test_out_of_order_cseq_for_the_same_call_id() -> None:
    s = store()
    s.register(aor=AOR, contacts=[("sip:bob@192.0.2.4", 600, 1.0)], call_id=CALL_ID, cseq=5, now_s=0.0)
    for cseq in (5, 4):
        r = s.register(aor=AOR, contacts=[("sip:bob@192.0.2.4", 0, 1.0)], call_id=CALL_ID, cseq=cseq, now_s=1.0)
        assert r.status is RegisterStatus.OUT_OF_ORDER and r.status.status_code == 500
    # Another Call-ID (the UA rebooted) may update whatever its CSeq.
    r = s.register(aor=AOR, contacts=[("sip:bob@192.0.2.4", 300, 1.0)], call_id="other", cseq=1, now_s=1.0)
    assert r.ok and r.bindings[0].call_id == "other" and r.bindings[0].expires_at_s == 301.0


def test_wildcard_removal_rules() -> None:
    s = store()
    s.register(aor=AOR, contacts=[("sip:bob@192.0.2.4", 600, 1.0)], call_id=CALL_ID, cseq=5, now_s=0.0)
    s.register(aor=AOR, contacts=[("sip:bob@192.0.2.5", 600, 1.0)], call_id="x", cseq=9, now_s=0.0)
    bad_expires = s.register(aor=AOR, contacts=[], wildcard=True, expires_s=3600, call_id=CALL_ID, cseq=6, now_s=1.0)
    assert bad_expires.status is RegisterStatus.BAD_REQUEST and bad_expires.status.status_code == 400
    mixed = s.register(aor=AOR, contacts=[("sip:bob@192.0.2.6", 0, 1.0)], wildcard=True, expires_s=0,
                       call_id=CALL_ID, cseq=6, now_s=1.0)
    assert mixed.status is RegisterStatus.BAD_REQUEST and "other contact" in mixed.detail
    stale = s.register(aor=AOR, contacts=[], wildcard=True, expires_s=0, call_id=CALL_ID, cseq=5, now_s=1.0)
    assert stale.status is RegisterStatus.OUT_OF_ORDER and len(s.lookup(AOR, 1.0)) == 2
    gone = s.register(aor=AOR, contacts=[], wildcard=True, expires_s=0, call_id=CALL_ID, cseq=6, now_s=1.0)
    assert gone.ok and gone.bindings == () and s.lookup(AOR, 1.0) == () and AOR not in s.aors


def test_query_lookup_order_and_purge() -> None:
    s = store()
    s.register(aor=AOR, contacts=[("sip:a@h1", 100, 0.2), ("sip:b@h2", 600, 0.9), ("sip:c@h3", 300, 0.5)],
               call_id=CALL_ID, cseq=1, now_s=0.0)
    s.register(aor="sip:carol@chicago.com", contacts=[("sip:carol@h9", 100, 1.0)], call_id="k", cseq=1, now_s=0.0)
    query = s.register(aor=AOR, contacts=[], call_id=CALL_ID, cseq=2, now_s=10.0)
    assert query.ok and [b.contact_uri for b in query.bindings] == ["sip:b@h2", "sip:c@h3", "sip:a@h1"]
    assert [b.contact_uri for b in s.lookup(AOR, 150.0)] == ["sip:b@h2", "sip:c@h3"]
    assert s.purge(150.0) == 2
    assert set(s.aors) == {AOR}


def test_maximum_bindings_per_aor() -> None:
    s = store()
    s.register(aor=AOR, contacts=[(f"sip:bob@h{i}", 600, 1.0) for i in range(3)], call_id=CALL_ID, cseq=1, now_s=0.0)
    r = s.register(aor=AOR, contacts=[("sip:bob@h9", 600, 1.0)], call_id=CALL_ID, cseq=2, now_s=1.0)
    assert r.status is RegisterStatus.TOO_MANY_BINDINGS and len(r.bindings) == 3
    # Removing one in the same request makes room.
    r = s.register(aor=AOR, contacts=[("sip:bob@h0", 0, 1.0), ("sip:bob@h9", 600, 1.0)], call_id=CALL_ID, cseq=3,
                   now_s=1.0)
    assert r.ok and {b.contact_uri for b in r.bindings} == {"sip:bob@h1", "sip:bob@h2", "sip:bob@h9"}


def test_instance_and_reg_id_replace_a_binding_whose_uri_changed() -> None:
    """RFC 5626 §6: a UA behind a NAT whose address changed keeps one binding per flow."""
    inst = "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"
    s = store()
    s.register(aor=AOR, contacts=[ContactSpec("sip:bob@192.0.2.4:5060", 600, 1.0, inst, 1)], call_id=CALL_ID, cseq=1,
               now_s=0.0)
    r = s.register(aor=AOR, contacts=[ContactSpec("sip:bob@203.0.113.8:41000", 600, 1.0, inst, 1),
                                      ContactSpec("sip:bob@203.0.113.8:41001", 600, 1.0, inst, 2)],
                   call_id=CALL_ID, cseq=2, now_s=1.0)
    assert [(b.contact_uri, b.reg_id) for b in r.bindings] == [("sip:bob@203.0.113.8:41000", 1),
                                                                ("sip:bob@203.0.113.8:41001", 2)]


def test_contact_uri_comparison() -> None:
    assert contact_uris_equal("<SIP:bob@BILOXI.com;Transport=tcp;lr>", "sip:bob@biloxi.com;lr;transport=tcp")
    assert not contact_uris_equal("sip:Bob@biloxi.com", "sip:bob@biloxi.com")  # the user part is case-sensitive
    assert not contact_uris_equal("sip:bob@biloxi.com:5060", "sip:bob@biloxi.com")
    # A caller may inject a full RFC 3261 §19.1.4 comparison instead.
    calls: list[tuple[str, str]] = []

    def always(a: str, b: str) -> bool:
        calls.append((a, b))
        return True

    current = (Binding(AOR, "sip:bob@h1", 600.0, 1.0, CALL_ID, 1),)
    r = process_register(current, aor=AOR, contacts=[("sip:bob@other", 600, 1.0)], call_id=CALL_ID, cseq=2,
                         now_s=0.0, same_contact=always)
    assert len(r.bindings) == 1 and r.bindings[0].contact_uri == "sip:bob@other" and calls


def test_bad_values() -> None:
    bad = process_register((), aor=AOR, contacts=[("sip:a@h", 60, 1.5)], call_id="c", cseq=1, now_s=0.0)
    assert bad.status is RegisterStatus.BAD_REQUEST and "q 1.5" in bad.detail
    neg = process_register((), aor=AOR, contacts=[("sip:a@h", None, 1.0)], call_id="c", cseq=1, now_s=0.0,
                           expires_s=-5)
    assert neg.status is RegisterStatus.BAD_REQUEST
    with pytest.raises(RegistrarError, match="min_expires_s") as info:
        RegistrarPolicy(min_expires_s=600, default_expires_s=60)
    assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)
    with pytest.raises(RegistrarError, match="max_bindings_per_aor"):
        RegistrarPolicy(max_bindings_per_aor=0)
