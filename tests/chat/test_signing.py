"""User keys: the HS256 token format, checked against known vectors and Node's crypto."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from botpress_async import ConfigurationError
from botpress_async.chat import sign_user_key
from botpress_async.chat._signing import check_chat_id, decode_user_key, sign_jwt

SECRET = "s3cret-for-tests"


def test_known_vector_of_the_jwt_standard_example() -> None:
    """The widely published HS256 example token comes out exactly (header, payload, MAC)."""
    token = sign_jwt(
        {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, "your-256-bit-secret"
    )
    assert token == (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )


def test_user_key_has_the_id_and_iat_claims_in_order() -> None:
    """A user key's payload is {"id", "iat"} (then "exp"), and it checks out with its secret."""
    key = sign_user_key("user-1", SECRET, issued_at=1700000000)
    claims = decode_user_key(key, SECRET, now=1700000001)
    assert claims == {"id": "user-1", "iat": 1700000000}
    with_exp = sign_user_key("user-1", SECRET, expires_in=60, issued_at=1700000000)
    assert decode_user_key(with_exp, SECRET, now=1700000001) == {
        "id": "user-1",
        "iat": 1700000000,
        "exp": 1700000060,
    }
    assert decode_user_key(with_exp, SECRET, now=1700000061) is None
    assert decode_user_key(key, "another secret") is None
    assert decode_user_key("not.a.key", SECRET) is None


# The Chat integration signs with jsonwebtoken: this is its algorithm (HS256 over the
# compact JSON of {"id", "iat"}, header {"alg","typ"}), run by Node's own crypto module.
_NODE_SIGNER = r"""
const crypto = require('crypto');
const [id, secret, iat] = process.argv.slice(1);
const b64 = (s) => Buffer.from(s).toString('base64url');
const input = b64(JSON.stringify({alg: 'HS256', typ: 'JWT'})) + '.' +
  b64(JSON.stringify({id, iat: Number(iat)}));
const mac = crypto.createHmac('sha256', secret).update(input).digest('base64url');
process.stdout.write(input + '.' + mac);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_same_key_as_the_typescript_signer() -> None:
    """For the same inputs, Node's signer and ours give the same header, payload and MAC."""
    done = subprocess.run(
        ["node", "-e", _NODE_SIGNER, "user_42/a\\b", SECRET, "1712345678"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout == sign_user_key("user_42/a\\b", SECRET, issued_at=1712345678)


@pytest.mark.parametrize("bad", ["", "a" * 71, "has space", "semi;colon", "é"])
def test_invalid_ids_are_refused_before_sending(bad: str) -> None:
    """A chat id outside 1-70 of [a-zA-Z0-9_-\\/] raises ConfigurationError naming the rule."""
    with pytest.raises(ConfigurationError, match="1 to 70"):
        check_chat_id("user id", bad)
    with pytest.raises(ConfigurationError):
        sign_user_key(bad, SECRET)


def test_valid_ids_pass() -> None:
    """Letters, digits, '_', '-', '\\' and '/' up to 70 characters are accepted."""
    for good in ["a", "A-b_c/d\\e", "x" * 70]:
        assert check_chat_id("user id", good) == good


def test_empty_secret_is_refused() -> None:
    """Signing with an empty encryption key is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="encryption key"):
        sign_user_key("u", "")
