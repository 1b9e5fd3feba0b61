"""Logging in to the fake Telegram: phone and code, a real SRP 2FA check, and QR tokens.

``LoginDesk(world, code=..., password=...)`` answers ``auth.SendCode``, ``auth.SignIn``,
``account.GetPassword``, ``auth.CheckPassword``, ``auth.ExportLoginToken``,
``auth.ImportLoginToken`` and ``auth.AcceptLoginToken`` for the world's user account.

The 2FA password is checked the way Telegram checks it: the desk publishes a real
``account.Password`` (Telegram's 2048-bit prime, fresh salts, ``srp_B = k·v + g^b``) and
verifies the client's ``M1`` from Telethon's SRP computation, so a wrong password really is
refused and a right one accepted.

QR login: ``ExportLoginToken`` hands out a token; a logged-in device (a second client of the
same world, or :meth:`LoginDesk.scan`) accepts it with ``AcceptLoginToken``, which pushes
``UpdateLoginToken`` to the waiting client; its next ``ExportLoginToken`` then returns
``LoginTokenSuccess``. ``ImportLoginToken`` answers for a client that was sent to another
data centre (``LoginTokenMigrateTo``), which this single-DC fake never does itself.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telethon import errors, functions, password, types

from tests.faketg.world import FakeTelegram

PHONE = "+380501234567"
G = 3
QR_LIFETIME = timedelta(seconds=30)


def _sha256(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _telegram_prime() -> bytes:
    """The 2048-bit safe prime Telegram uses for SRP (Telethon recognises it without a
    multi-minute primality test, as it does for the real server's)."""
    return bytes.fromhex(
        "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
        "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
        "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
        "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
        "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
        "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
        "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
        "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B"
    )


@dataclass
class _Srp:
    """One published ``account.Password`` challenge and the server's secret for it."""

    algo: types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow
    verifier: int
    b: int
    big_b: bytes


@dataclass
class LoginDesk:
    """The login counter of one fake Telegram world; install with ``LoginDesk(world)``."""

    world: FakeTelegram
    phone: str = PHONE
    code: str = "24680"
    password: str | None = None  # the account's 2FA password, if it has one
    codes_sent: int = 0
    signed_in: int = 0
    _srp: dict[int, _Srp] = field(default_factory=dict)
    _tokens: dict[bytes, bool] = field(default_factory=dict)  # token -> accepted
    _phone_code_hash: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        self.world.handlers.update(
            {
                functions.auth.SendCodeRequest: self._send_code,
                functions.auth.SignInRequest: self._sign_in,
                functions.account.GetPasswordRequest: self._get_password,
                functions.auth.CheckPasswordRequest: self._check_password,
                functions.auth.ExportLoginTokenRequest: self._export_token,
                functions.auth.ImportLoginTokenRequest: self._import_token,
                functions.auth.AcceptLoginTokenRequest: self._accept_token,
            }
        )

    # ------------------------------------------------------------ phone and code
    def _send_code(self, w: FakeTelegram, r: Any, a: types.User) -> types.auth.SentCode:
        if r.phone_number.lstrip("+") != self.phone.lstrip("+"):
            raise errors.PhoneNumberInvalidError(request=r)
        self.codes_sent += 1
        return types.auth.SentCode(
            type=types.auth.SentCodeTypeApp(length=len(self.code)),
            phone_code_hash=self._phone_code_hash,
        )

    def _sign_in(self, w: FakeTelegram, r: Any, a: types.User) -> types.auth.Authorization:
        if r.phone_code_hash != self._phone_code_hash:
            raise errors.PhoneCodeExpiredError(request=r)
        if r.phone_code != self.code:
            raise errors.PhoneCodeInvalidError(request=r)
        if self.password is not None:
            raise errors.SessionPasswordNeededError(request=r)
        return self._authorize()

    def _authorize(self) -> types.auth.Authorization:
        self.signed_in += 1
        return types.auth.Authorization(user=self.world.me)

    # ------------------------------------------------------------ 2FA (SRP)
    def _get_password(self, w: FakeTelegram, r: Any, a: types.User) -> types.account.Password:
        unknown = types.PasswordKdfAlgoUnknown()
        secure = types.SecurePasswordKdfAlgoUnknown()
        if self.password is None:
            return types.account.Password(unknown, secure, os.urandom(32), has_password=False)
        algo = types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=os.urandom(40), salt2=os.urandom(16), g=G, p=_telegram_prime()
        )
        p = int.from_bytes(algo.p, "big")
        x = int.from_bytes(password.compute_hash(algo, self.password), "big")
        verifier = pow(G, x, p)
        k = int.from_bytes(_sha256(algo.p, password.big_num_for_hash(G)), "big")
        b = int.from_bytes(os.urandom(256), "big")
        big_b = ((k * verifier + pow(G, b, p)) % p).to_bytes(256, "big")
        srp_id = secrets.randbits(62)
        self._srp[srp_id] = _Srp(algo, verifier, b, big_b)
        return types.account.Password(
            unknown,
            secure,
            os.urandom(32),
            has_password=True,
            current_algo=algo,
            srp_B=big_b,
            srp_id=srp_id,
            hint="the usual",
        )

    def _check_password(self, w: FakeTelegram, r: Any, a: types.User) -> Any:
        check = r.password
        challenge = self._srp.pop(check.srp_id, None)
        if challenge is None:
            raise errors.SrpIdInvalidError(request=r)
        if not self._proves_password(challenge, check.A, check.M1):
            raise errors.PasswordHashInvalidError(request=r)
        return self._authorize()

    @staticmethod
    def _proves_password(c: _Srp, a_bytes: bytes, m1: bytes) -> bool:
        """The server half of Telegram's SRP: recompute M1 from A, the verifier and b."""
        algo = c.algo
        p = int.from_bytes(algo.p, "big")
        big_a = int.from_bytes(a_bytes, "big")
        if not 1 < big_a < p - 1:
            return False
        u = int.from_bytes(_sha256(a_bytes, c.big_b), "big")
        shared = pow(big_a * pow(c.verifier, u, p) % p, c.b, p)
        key = _sha256(password.big_num_for_hash(shared))
        expected = _sha256(
            password.xor(_sha256(algo.p), _sha256(password.big_num_for_hash(G))),
            _sha256(algo.salt1),
            _sha256(algo.salt2),
            a_bytes,
            c.big_b,
            key,
        )
        return secrets.compare_digest(expected, m1)

    # ------------------------------------------------------------ QR tokens
    def _export_token(self, w: FakeTelegram, r: Any, a: types.User) -> Any:
        accepted = [token for token, ok in self._tokens.items() if ok]
        if accepted:
            del self._tokens[accepted[0]]
            if self.password is not None:
                raise errors.SessionPasswordNeededError(request=r)
            return types.auth.LoginTokenSuccess(authorization=self._authorize())
        token = os.urandom(32)
        self._tokens[token] = False
        return types.auth.LoginToken(expires=w.now + QR_LIFETIME, token=token)

    def _import_token(self, w: FakeTelegram, r: Any, a: types.User) -> Any:
        if not self._tokens.pop(r.token, False):
            raise errors.AuthTokenInvalidError(request=r)
        return types.auth.LoginTokenSuccess(authorization=self._authorize())

    def _accept_token(self, w: FakeTelegram, r: Any, a: types.User) -> types.Authorization:
        """A logged-in device scanned the QR code."""
        if r.token not in self._tokens:
            raise errors.AuthTokenInvalidError(request=r)
        self._tokens[r.token] = True
        for sender in w.senders:
            if not sender.authorized and sender.updates_queue is not None:
                sender.updates_queue.put_nowait(
                    types.UpdateShort(update=types.UpdateLoginToken(), date=w.now)
                )
        return types.Authorization(
            hash=1,
            device_model="chanwatch test",
            platform="linux",
            system_version="1",
            api_id=1,
            app_name="chanwatch",
            app_version="1",
            date_created=w.now,
            date_active=w.now,
            ip="127.0.0.1",
            country="UA",
            region="Kyiv",
        )

    def scan(self, token: bytes) -> None:
        """The account owner scans the QR code with a logged-in phone."""
        self._accept_token(self.world, functions.auth.AcceptLoginTokenRequest(token), self.world.me)
