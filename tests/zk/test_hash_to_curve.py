"""RFC 9380 hash-to-curve (secp256k1_XMD:SHA-256_SSWU_RO_) and the generator set.

The vectors are those of RFC 9380, appendix J.8.1 (suite
secp256k1_XMD:SHA-256_SSWU_RO_, DST QUUX-V01-CS02-with-secp256k1_XMD:SHA-256_SSWU_RO_).
"""

from __future__ import annotations

import hashlib

import pytest

from zk import DEFAULT_GENERATORS, GeneratorSet
from zk._curve import is_on_curve
from zk._encoding import encode_point
from zk._generators import GENERATOR_DOMAIN, H2C_DST, hash_to_point
from zk._hash_to_curve import expand_message_xmd, hash_to_curve, hash_to_field, map_to_curve

DST = b"QUUX-V01-CS02-with-secp256k1_XMD:SHA-256_SSWU_RO_"

# msg, P.x, P.y, u[0], u[1], Q0.x, Q0.y, Q1.x, Q1.y  (RFC 9380, appendix J.8.1)
RFC9380_VECTORS = [
    (
        b"",
        "c1cae290e291aee617ebaef1be6d73861479c48b841eaba9b7b5852ddfeb1346",
        "64fa678e07ae116126f08b022a94af6de15985c996c3a91b64c406a960e51067",
        "6b0f9910dd2ba71c78f2ee9f04d73b5f4c5f7fc773a701abea1e573cab002fb3",
        "1ae6c212e08fe1a5937f6202f929a2cc8ef4ee5b9782db68b0d5799fd8f09e16",
        "74519ef88b32b425a095e4ebcc84d81b64e9e2c2675340a720bb1a1857b99f1e",
        "c174fa322ab7c192e11748beed45b508e9fdb1ce046dee9c2cd3a2a86b410936",
        "44548adb1b399263ded3510554d28b4bead34b8cf9a37b4bd0bd2ba4db87ae63",
        "96eb8e2faf05e368efe5957c6167001760233e6dd2487516b46ae725c4cce0c6",
    ),
    (
        b"abc",
        "3377e01eab42db296b512293120c6cee72b6ecf9f9205760bd9ff11fb3cb2c4b",
        "7f95890f33efebd1044d382a01b1bee0900fb6116f94688d487c6c7b9c8371f6",
        "128aab5d3679a1f7601e3bdf94ced1f43e491f544767e18a4873f397b08a2b61",
        "5897b65da3b595a813d0fdcc75c895dc531be76a03518b044daaa0f2e4689e00",
        "07dd9432d426845fb19857d1b3a91722436604ccbbbadad8523b8fc38a5322d7",
        "604588ef5138cffe3277bbd590b8550bcbe0e523bbaf1bed4014a467122eb33f",
        "e9ef9794d15d4e77dde751e06c182782046b8dac05f8491eb88764fc65321f78",
        "cb07ce53670d5314bf236ee2c871455c562dd76314aa41f012919fe8e7f717b3",
    ),
    (
        b"abcdef0123456789",
        "bac54083f293f1fe08e4a70137260aa90783a5cb84d3f35848b324d0674b0e3a",
        "4436476085d4c3c4508b60fcf4389c40176adce756b398bdee27bca19758d828",
        "ea67a7c02f2cd5d8b87715c169d055a22520f74daeb080e6180958380e2f98b9",
        "7434d0d1a500d38380d1f9615c021857ac8d546925f5f2355319d823a478da18",
        "576d43ab0260275adf11af990d130a5752704f79478628761720808862544b5d",
        "643c4a7fb68ae6cff55edd66b809087434bbaff0c07f3f9ec4d49bb3c16623c3",
        "f89d6d261a5e00fe5cf45e827b507643e67c2a947a20fd9ad71039f8b0e29ff8",
        "b33855e0cc34a9176ead91c6c3acb1aacb1ce936d563bc1cee1dcffc806caf57",
    ),
    (
        b"a512_" + b"a" * 512,
        "e3c8d35aaaf0b9b647e88a0a0a7ee5d5bed5ad38238152e4e6fd8c1f8cb7c998",
        "8446eeb6181bf12f56a9d24e262221cc2f0c4725c7e3803024b5888ee5823aa6",
        "8d862e7e7e23d7843fe16d811d46d7e6480127a6b78838c277bca17df6900e9f",
        "68071d2530f040f081ba818d3c7188a94c900586761e9115efa47ae9bd847938",
        "b32b0ab55977b936f1e93fdc68cec775e13245e161dbfe556bbb1f72799b4181",
        "2f5317098360b722f132d7156a94822641b615c91f8663be69169870a12af9e8",
        "148f98780f19388b9fa93e7dc567b5a673e5fca7079cd9cdafd71982ec4c5e12",
        "3989645d83a433bc0c001f3dac29af861f33a6fd1e04f4b36873f5bff497298a",
    ),
]


@pytest.mark.parametrize("vector", RFC9380_VECTORS, ids=["empty", "abc", "abcdef", "a512"])
def test_rfc9380_secp256k1_ro(vector: tuple[bytes | str, ...]) -> None:
    msg, px, py, u0, u1, q0x, q0y, q1x, q1y = vector
    assert isinstance(msg, bytes)
    assert hash_to_field(msg, DST, 2) == [int(str(u0), 16), int(str(u1), 16)]
    assert map_to_curve(int(str(u0), 16)) == (int(str(q0x), 16), int(str(q0y), 16))
    assert map_to_curve(int(str(u1), 16)) == (int(str(q1x), 16), int(str(q1y), 16))
    assert hash_to_curve(msg, DST) == (int(str(px), 16), int(str(py), 16))


def test_expand_message_xmd_lengths() -> None:
    out = expand_message_xmd(b"abc", DST, 96)
    assert len(out) == 96
    # the output length is an input of the hash, so a shorter output is no prefix
    assert expand_message_xmd(b"abc", DST, 32) != out[:32]
    assert expand_message_xmd(b"abc", DST, 96) != expand_message_xmd(b"abd", DST, 96)


# SHA-256 over u32(1024) || G || H || U || g_0 || h_0 || ... || g_1023 || h_1023
# (compressed points), with the labels and DST of zk/_generators.py. Re-derive with
# `python -c "import zk; print(zk.DEFAULT_GENERATORS.digest.hex())"` only after a
# deliberate change of generators, which also needs a new domain-separator version.
PINNED_GENERATOR_DIGEST = "202154da9a291f02529dbdbd5d5b8e99712bd6e762f031c378bfc23fb6a9d07b"


def test_generator_digest_is_pinned() -> None:
    assert DEFAULT_GENERATORS.digest.hex() == PINNED_GENERATOR_DIGEST


def test_generator_digest_recomputed_independently() -> None:
    h = hashlib.sha256((1024).to_bytes(4, "big"))
    for name in ("G", "H", "U"):
        h.update(encode_point(hash_to_curve(GENERATOR_DOMAIN + b"/" + name.encode(), H2C_DST)))
    g, hh = DEFAULT_GENERATORS.vectors(1024)
    for i in (0, 1, 1023):
        assert g[i] == hash_to_curve(GENERATOR_DOMAIN + b"/g/%d" % i, H2C_DST)
        assert hh[i] == hash_to_curve(GENERATOR_DOMAIN + b"/h/%d" % i, H2C_DST)
    for i in range(1024):
        h.update(encode_point(g[i]))
        h.update(encode_point(hh[i]))
    assert h.hexdigest() == PINNED_GENERATOR_DIGEST


def test_generators_are_distinct_points_on_the_curve() -> None:
    g, h = DEFAULT_GENERATORS.vectors(64)
    everything = [DEFAULT_GENERATORS.G, DEFAULT_GENERATORS.H, DEFAULT_GENERATORS.U, *g, *h]
    assert all(is_on_curve(*p) for p in everything)
    assert len({p[0] for p in everything}) == len(everything)
    assert hash_to_point(b"scnode/zk/generators/v1/H") == DEFAULT_GENERATORS.H


def test_another_domain_gives_another_set() -> None:
    other = GeneratorSet(b"example/other", capacity=16)
    assert other.G != DEFAULT_GENERATORS.G
    assert other.digest != DEFAULT_GENERATORS.digest
