"""Share links round-trip any code and refuse damaged or oversized ones."""
from __future__ import annotations

import base64
import zlib
from urllib.parse import parse_qs, urlparse

import pytest

from explorer import lessons, share


@pytest.mark.parametrize("code", [lesson.code for lesson in lessons.all_lessons()]
                         + ["", "x = '\u00e9\u4e2d\U0001f600'\n"])
def test_round_trip(code):
    assert share.decode_code(share.encode_code(code)) == code


def test_url_carries_settings_and_code():
    url = share.share_url("http://host:8501/?old=1", "x = 1\n",
                          {"seed": 3, "lesson": "", "view": "auto"})
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.netloc == "host:8501" and "old" not in query and "lesson" not in query
    assert query["seed"] == ["3"] and query["view"] == ["auto"]
    assert share.decode_code(query["code"][0]) == "x = 1\n"


def test_damaged_links_are_refused():
    with pytest.raises(share.ShareError):
        share.decode_code("!!!not base64")
    with pytest.raises(share.ShareError):
        share.decode_code(base64.urlsafe_b64encode(b"not zlib").decode())


def test_a_compression_bomb_is_refused_without_inflating_it():
    bomb = base64.urlsafe_b64encode(zlib.compress(b"a" * 50_000_000, 9)).decode()
    assert len(bomb) < 100_000
    with pytest.raises(share.ShareError, match="too long"):
        share.decode_code(bomb)
