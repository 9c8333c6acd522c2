import pytest

import npimatch as nm
from npimatch import _npimatch as _c
from npimatch import _progress

CHUNK = 1 << 16


def test_off_by_default_when_not_interactive():
    # pytest captures stderr (not a terminal) and no notebook kernel runs here
    assert nm.get_progress() == "auto"
    assert _progress.enabled() is False
    assert _progress.enabled(True) is True and _progress.enabled(False) is False


def test_set_progress_switch():
    try:
        nm.set_progress(False)
        assert _progress.enabled() is False
        nm.set_progress(True)
        assert _progress.enabled() is True
        assert _progress.enabled(False) is False  # the per-call argument wins
        with pytest.raises(ValueError):
            nm.set_progress("sometimes")
    finally:
        nm.set_progress("auto")


def test_runner_reports_done_and_total():
    n = 3 * CHUNK + 5
    calls = []
    prev = _c._set_progress_hook(lambda done, total: calls.append((done, total)))
    try:
        nm.jaro_winkler("SMITH", ["SMYTH"] * n)
        short = len(calls)
        nm.soundex(["ROBERT"] * CHUNK)  # one chunk: no report
    finally:
        _c._set_progress_hook(prev)
    assert calls == [(CHUNK, n), (2 * CHUNK, n), (3 * CHUNK, n), (n, n)]
    assert len(calls) == short


def test_hook_error_stops_the_call():
    def boom(done, total):
        raise RuntimeError("stop")

    prev = _c._set_progress_hook(boom)
    try:
        with pytest.raises(RuntimeError, match="stop"):
            nm.normalize_phone(["(212) 555-0100"] * (2 * CHUNK))
    finally:
        _c._set_progress_hook(prev)


def test_bar_shown_when_asked(capsys):
    pytest.importorskip("tqdm")
    nm.normalize_text(["abc"] * (2 * CHUNK + 1), progress=True)
    err = capsys.readouterr().err
    assert "normalize_text" in err and "rows" in err
    nm.normalize_text(["abc"] * (2 * CHUNK + 1))
    assert capsys.readouterr().err == ""  # auto, not interactive: silent
    nm.set_progress(True)
    try:
        nm.normalize_text(["abc"] * (2 * CHUNK + 1), progress=False)
        assert capsys.readouterr().err == ""
    finally:
        nm.set_progress("auto")
    # the hook is removed after the call
    assert _c._set_progress_hook(None) is None
