"""Share links: the code and settings of a run carried in a URL's query string.

Code is compressed (zlib) and base64url-encoded, so a lesson-sized snippet fits in a link a
teacher can paste into a chat. Decoding is bounded: a crafted link cannot inflate to a bomb."""
from __future__ import annotations

import base64
import zlib
from urllib.parse import urlencode

MAX_CODE = 100_000  # characters, once decoded


class ShareError(ValueError):
    """A share link whose code cannot be read."""


def encode_code(code: str) -> str:
    packed = zlib.compress(code.encode(), level=9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_code(token: str) -> str:
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_CODE * 4 + 1)
        if inflater.unconsumed_tail or len(raw) > MAX_CODE * 4:
            raise ShareError("the code in this link is too long")
        return raw.decode()
    except (ValueError, zlib.error, UnicodeDecodeError) as err:
        raise ShareError(f"this link's code is damaged ({err})") from None


def share_url(base: str, code: str, settings: dict[str, object]) -> str:
    """``base`` (the page's address) with the settings and the code as query parameters."""
    params = {k: v for k, v in settings.items() if v not in (None, "", [])}
    params["code"] = encode_code(code)
    return base.split("?", 1)[0] + "?" + urlencode(params, doseq=True)
