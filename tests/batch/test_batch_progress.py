"""The progress bar: drawn on a terminal, absent from a pipe."""

from __future__ import annotations

import io

from tiffin.batch.progress import batch_progress, wants_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with batch_progress(100, "bytes", stream=stream) as advance:
        advance(100, 10)
    assert stream.getvalue() == "" and not wants_progress(stream)


def test_a_bar_on_a_terminal() -> None:
    stream = _Terminal()
    with batch_progress(1_000, "rows", stream=stream) as advance:
        advance(400, 400)
        advance(600, 600)
    assert wants_progress(stream)
    assert "1,000 rows" in stream.getvalue() and "predicting" in stream.getvalue()
