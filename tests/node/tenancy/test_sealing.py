"""Tenant keys sealed under the master key: round trip, tamperings, the key file."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import CosignatureSigner, NoteSigner
from node.tenancy import (
    SEALED_PREFIX,
    MasterKey,
    SealingError,
    TenantKeys,
    load_master_key,
    load_or_create_master_key,
    seal_keys,
    unseal_keys,
)

TENANT = "0123456789abcdef"
OTHER = "fedcba9876543210"


def _keys() -> TenantKeys:
    return TenantKeys(
        NoteSigner.generate("acme.example/node"), CosignatureSigner.generate("acme.example/node")
    )


def _master() -> MasterKey:
    return MasterKey(os.urandom(32))


def test_round_trip_gives_the_same_keys() -> None:
    master, keys = _master(), _keys()
    sealed = seal_keys(master, TENANT, keys)
    assert sealed.startswith(SEALED_PREFIX)
    opened = unseal_keys(master, TENANT, sealed)
    assert opened.log.skey() == keys.log.skey()
    assert opened.witness.skey() == keys.witness.skey()
    assert opened.node_keys().history == (keys.log.vkey,)
    # no key material in the blob, and a fresh nonce each time
    assert keys.log.skey() not in sealed
    assert seal_keys(master, TENANT, keys) != sealed


def test_reprs_hide_secrets() -> None:
    master, keys = _master(), _keys()
    assert base64.b64encode(master.key).decode() not in repr(master)
    assert master.key.hex() not in repr(master)
    assert keys.log.skey() not in repr(keys)
    assert keys.witness.skey() not in repr(keys)


def test_tampered_blob_does_not_open() -> None:
    master, keys = _master(), _keys()
    sealed = seal_keys(master, TENANT, keys)
    raw = bytearray(base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :]))
    for position in (0, 12, len(raw) // 2, len(raw) - 1):
        bad = bytearray(raw)
        bad[position] ^= 0x01
        blob = SEALED_PREFIX + base64.urlsafe_b64encode(bytes(bad)).decode()
        with pytest.raises(SealingError, match="do not open"):
            unseal_keys(master, TENANT, blob)


def test_blob_of_another_tenant_or_master_key_does_not_open() -> None:
    master, keys = _master(), _keys()
    sealed = seal_keys(master, TENANT, keys)
    with pytest.raises(SealingError, match="do not open"):
        unseal_keys(master, OTHER, sealed)  # copied onto another tenant's row
    with pytest.raises(SealingError, match="do not open"):
        unseal_keys(_master(), TENANT, sealed)


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        ("", "unknown format"),
        ("scnode-sealed/v2:AAAA", "unknown format"),
        (SEALED_PREFIX + "***", "base64url"),
        (SEALED_PREFIX + "AAAA", "too short"),
    ],
)
def test_malformed_blobs_are_refused(blob: str, why: str) -> None:
    with pytest.raises(SealingError, match=why):
        unseal_keys(_master(), TENANT, blob)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_refused_with_a_sealing_error(blob: str) -> None:
    with pytest.raises(SealingError):
        unseal_keys(_master(), TENANT, SEALED_PREFIX + blob)


def test_master_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "host" / "master.key"
    made = load_or_create_master_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_master_key(path) == made
    assert load_master_key(path) == made
    assert len(made.key) == 32


def test_master_key_file_problems_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    with pytest.raises(SealingError, match="does not exist"):
        load_master_key(path)
    load_or_create_master_key(path)
    path.chmod(0o644)
    with pytest.raises(SealingError, match="readable by others"):
        load_master_key(path)
    path.chmod(0o600)
    path.write_text("not base64!\n")
    with pytest.raises(SealingError, match="not base64"):
        load_master_key(path)
    path.write_text(base64.b64encode(b"short").decode() + "\n")
    with pytest.raises(SealingError, match="not 32 bytes"):
        load_master_key(path)
    # messages never carry the key
    path.write_text(base64.b64encode(os.urandom(31)).decode())
    with pytest.raises(SealingError) as refused:
        load_master_key(path)
    assert path.read_text() not in str(refused.value)
