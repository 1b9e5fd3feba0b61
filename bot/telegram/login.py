"""Interactive login of the user session: phone and code (2FA password if set), or a QR code."""

from __future__ import annotations

from typing import Protocol

from telethon import TelegramClient, errors

from bot.errors import ChanwatchError


class Prompter(Protocol):
    def ask(self, question: str, *, secret: bool = False) -> str: ...

    def say(self, text: str) -> None: ...


class LoginError(ChanwatchError):
    """Login did not complete; the message says why in plain words."""


async def login_with_code(client: TelegramClient, prompt: Prompter) -> str:
    """Returns the display name of the account now logged in."""
    phone = prompt.ask("Phone number (international format, e.g. +380...): ").strip()
    try:
        await client.send_code_request(phone)
        code = prompt.ask("The code Telegram sent you: ").strip()
        try:
            user = await client.sign_in(phone=phone, code=code)
        except errors.SessionPasswordNeededError:
            user = await client.sign_in(password=prompt.ask("2FA password: ", secret=True))
    except (errors.PhoneNumberInvalidError, errors.PhoneNumberBannedError) as error:
        raise LoginError(f"Telegram refused the phone number: {error}") from error
    except (errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError) as error:
        raise LoginError("the code was wrong or expired: run `chanwatch login` again") from error
    except errors.PasswordHashInvalidError as error:
        raise LoginError("the 2FA password was wrong") from error
    return _name(user)


async def login_with_qr(client: TelegramClient, prompt: Prompter, *, wait: float = 120) -> str:
    qr = await client.qr_login()
    prompt.say(
        "Open Telegram on a logged-in phone: Settings > Devices > Link Desktop Device, and scan"
        f" a QR code made from this link (any QR generator works):\n{qr.url}"
    )
    try:
        user = await qr.wait(wait)
    except errors.SessionPasswordNeededError:
        user = await client.sign_in(password=prompt.ask("2FA password: ", secret=True))
    except TimeoutError as error:
        raise LoginError("the QR code was not scanned in time: run the command again") from error
    return _name(user)


def _name(user: object) -> str:
    first = getattr(user, "first_name", None) or ""
    username = getattr(user, "username", None)
    return f"{first} (@{username})" if username else first or "the account"
