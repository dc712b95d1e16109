"""Worker process entry: one JSON request on stdin, one JSON result on the protocol stream.

The user's prints go to a bounded buffer, never to the protocol stream, so nothing the
snippet writes can forge or corrupt a result."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys

OUTPUT_LIMIT = 1_000_000


class BoundedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.overflow = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
        self.size += len(text)
        self.overflow = self.overflow or self.size > self.limit
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def serve(request: dict, output_limit: int = OUTPUT_LIMIT) -> dict:
    """Run one job with the user's output captured; the result dict gains ``stdout``."""
    from explorer import jobs

    sink = BoundedText(output_limit)
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        result = jobs.run(request.get("job", ""), request)
    result["stdout"] = sink.getvalue()
    if sink.overflow:
        result = {"status": "output-limit", "stdout": sink.getvalue(),
                  "message": f"Your code printed {sink.size:,} characters; the limit is "
                             f"{output_limit:,}. Print less (a shape, not a whole tensor)."}
    return result


def main() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    request = json.loads(sys.stdin.read())
    result = serve(request, int(request.get("output_limit", OUTPUT_LIMIT)))
    protocol.write(json.dumps(result))
    protocol.flush()


if __name__ == "__main__":
    main()
