"""What batch jobs run into: repeated ids, file modes, SIGTERM, full disks, long documents,
and inputs that are not what they claim to be. Signals and modes are checked on real processes."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from medner_cli.annotator import Options
from medner_cli.cli import cli
from medner_cli.doc import Doc, ReadError
from medner_cli.pool import LONG_CHARS, annotate_stream, cut_points
from medner_cli.read import read_inputs
from medner_cli.timing import Stats

NOTE = "Aspirin 81 mg daily for angina.\nHistory of renal failure on lisinopril.\n"


def medner(*args: str, umask: int | None = None, **kw) -> subprocess.Popen:
    """``medner`` in a process of its own (and its own process group), as a shell starts it."""
    def setup() -> None:
        os.setpgrp()
        if umask is not None:
            os.umask(umask)

    return subprocess.Popen([sys.executable, "-m", "medner_cli", *args], preexec_fn=setup,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def children(pid: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(l.split(":\t", 1) for l in status.read_text().splitlines() if ":\t" in l)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            out.append(int(status.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_repeated_ids_keep_the_first_output_and_say_so(tiny_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in
                           (("dup", "aspirin for angina"), ("dup", "warfarin"), ("ok", "heparin"))))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["annotate", str(src), "--input-format", "jsonl", "-o",
                                      str(out), "--format", "brat", "--model", str(tiny_model)])
    assert result.exit_code == 1
    assert f"{src}:2:" in result.stderr and "already written for" in result.stderr
    assert f"{src}:1" in result.stderr  # names the document whose output was kept
    assert "aspirin" in (out / "dup.ann").read_text() and "warfarin" not in (out / "dup.ann").read_text()
    assert (out / "ok.ann").exists()


def test_written_files_get_the_users_umask(tiny_model, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text(NOTE)
    env = {**os.environ, "MEDNER_MODEL": str(tiny_model)}
    runs = [("--format", "brat", "-o", str(tmp_path / "brat")),
            ("--format", "jsonl", "-o", str(tmp_path / "out.jsonl"), "--timing-json",
             str(tmp_path / "timing.json")),
            ("--format", "conll", "-o", str(tmp_path / "out.conll"))]
    for args in runs:
        proc = medner("annotate", str(notes), *args, umask=0o022, env=env)
        assert proc.wait(120) == 0, proc.stderr.read().decode()
    files = [tmp_path / "brat" / n for n in ("a.ann", "a.txt", "annotation.conf")]
    files += [tmp_path / n for n in ("out.jsonl", "timing.json", "out.conll")]
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o644" for f in files}
    proc = medner("annotate", str(notes), "-o", str(tmp_path / "private.jsonl"), umask=0o077, env=env)
    assert proc.wait(120) == 0
    assert (tmp_path / "private.jsonl").stat().st_mode & 0o777 == 0o600


def test_sigterm_ends_the_workers_and_keeps_no_partial_file(tiny_model, tmp_path):
    src = tmp_path / "many.jsonl"
    with src.open("w") as handle:
        for i in range(200_000):
            handle.write(json.dumps({"id": i, "text": f"{i}: aspirin for angina. " * 20}) + "\n")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "MEDNER_MODEL": str(tiny_model)}
    proc = medner("annotate", str(src), "--input-format", "jsonl", "-o", str(out),
                  "--workers", "2", env=env)
    deadline = time.time() + 60
    while len(children(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = children(proc.pid)
    assert len(workers) >= 2, proc.stderr.read().decode() if proc.poll() is not None else workers
    time.sleep(1.0)  # workers are annotating
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    assert "terminated (SIGTERM)" in proc.stderr.read().decode()
    deadline = time.time() + 10
    while any(alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if alive(w)]
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))


def test_an_unwritable_output_is_named_without_a_traceback(tiny_model, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["annotate", "-", "-o", str(blocker / "out") + "/",
                                      "--model", str(tiny_model)], input=NOTE)
    assert result.exit_code == 1 and f"cannot write {blocker / 'out'}" in result.stderr
    assert "Traceback" not in result.output


def test_a_full_disk_leaves_no_partial_file(tiny_model, tmp_path, monkeypatch):
    import medner_cli.write

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.handle.close()

    real = medner_cli.write.os.fdopen
    monkeypatch.setattr(medner_cli.write.os, "fdopen", lambda fd, mode: Full(real(fd, mode)))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["annotate", "-", "-o", str(out), "--model",
                                      str(tiny_model)], input=NOTE)
    assert result.exit_code == 1
    assert f"cannot write {out}: No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cut_points_prefer_line_breaks():
    text = ("word " * 9 + "\n") * 1000
    cuts = cut_points(text, 1000)
    assert cuts[0] == 0 and cuts[-1] == len(text)
    assert all(text[c - 1] == "\n" for c in cuts[1:-1])
    assert all(0 < b - a <= 1000 for a, b in zip(cuts, cuts[1:]))
    assert cut_points("x" * 2500, 1000) == [0, 1000, 2000, 2500]  # no place to cut: hard cuts


def test_a_long_document_spreads_over_the_workers(tiny_model):
    body = "".join(f"Day {i}: aspirin for angina; heparin held.\n" for i in range(6000))
    assert len(body) > LONG_CHARS
    docs = [Doc("long", body), Doc("short", NOTE)]
    stats = Stats()
    out = list(annotate_stream(docs, Options(model=tiny_model, dosage=False), workers=2,
                               stats=stats))
    assert [d.id for d in out] == ["long", "short"] and stats.documents == 2
    assert len(stats.processes) == 2
    long_doc = out[0]
    assert sum(e.text == "aspirin" for e in long_doc.entities) == 6000
    assert all(body[e.start:e.end] == e.text for e in long_doc.entities)
    assert all(a.end <= b.start for a, b in zip(long_doc.entities, long_doc.entities[1:]))


# ------------------------------------------------------------------ readers never crash

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.binary(max_size=40),
    st.builds(lambda t: json.dumps({"id": "x", "text": t}).encode(), st.text(max_size=30)),
    st.builds(lambda v: json.dumps({"text": v}).encode(),
              st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2))),
    st.builds(lambda s, e: json.dumps({"text": "aspirin", "entities": [
        {"start": s, "end": e, "label": "Chemical"}]}).encode(), st.integers(-3, 9), st.integers(-3, 9)),
), max_size=8))
def test_jsonl_lines_are_read_or_reported_with_their_line(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "in.jsonl"
    path.write_bytes(b"\n".join(lines))
    items = list(read_inputs([str(path)], "jsonl", with_gold=True))
    for item in items:
        assert isinstance(item, (Doc, ReadError))
        if isinstance(item, ReadError):
            assert item.origin == str(path)
            assert item.line is not None or "empty file" in item.message
        else:
            assert all(item.text[e.start:e.end] == e.text for e in item.entities)
    good = [l for l in b"\n".join(lines).split(b"\n") if l.strip()]
    assert len([i for i in items if not (isinstance(i, ReadError) and i.line is None)]) == len(good)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["a", "b", "c d", "é"]),
                       st.tuples(st.binary(max_size=30), st.one_of(st.none(), st.binary(max_size=30))),
                       max_size=4))
def test_odd_brat_folders_are_read_or_reported(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("brat")
    for name, (txt, ann) in files.items():
        (folder / f"{name}.txt").write_bytes(txt)
        if ann is not None:
            (folder / f"{name}.ann").write_bytes(ann)
    items = list(read_inputs([str(folder)], "brat", with_gold=True))
    assert len(items) == len(files)  # one Doc or one ReadError per text file
    for item in items:
        if isinstance(item, ReadError):
            assert str(folder) in item.origin and item.message
        else:
            assert all(item.text[e.start:e.end] == e.text for e in item.entities)


def test_a_batch_goes_on_past_bad_documents(tiny_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 1, "text": "aspirin"}\n\xff\xfe\n{"id": 2}\n{"id": 3, "text": "heparin"}\n')
    result = CliRunner().invoke(cli, ["annotate", str(src), "--input-format", "jsonl",
                                      "--model", str(tiny_model)])
    assert result.exit_code == 1
    assert f"{src}:2:" in result.stderr and f"{src}:3:" in result.stderr
    assert [json.loads(l)["id"] for l in result.stdout.splitlines()] == [1, 3]


def test_a_swallowed_interrupt_still_stops_the_run(tiny_model, tmp_path):
    """Python drops an exception raised inside a finaliser; the run must stop all the same."""
    import pytest

    from medner_cli import stop
    from medner_cli.run import RunConfig, run

    src = tmp_path / "a.txt"
    src.write_text(NOTE)
    out = tmp_path / "out.jsonl"
    previous = stop.install()
    try:
        try:
            stop._on_signal(signal.SIGINT, None)
        except KeyboardInterrupt:
            pass  # what "Exception ignored in ..." amounts to
        with pytest.raises(KeyboardInterrupt):
            run(RunConfig(inputs=[str(src)], output=str(out), options=Options(model=tiny_model)))
    finally:
        stop.restore(previous)
    assert list(tmp_path.iterdir()) == [src]


def test_a_swallowed_terminate_stops_the_run_at_once_not_at_the_end(tiny_model, tmp_path):
    """A batch of many documents must not run to its end after a SIGTERM Python dropped."""
    import pytest

    from medner_cli import stop
    from medner_cli.run import RunConfig, run

    src = tmp_path / "many.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": "aspirin for angina"}) + "\n"
                           for i in range(2000)))
    written = []

    def swallow_once(n: int) -> None:
        written.append(n)
        if len(written) == 1:
            try:
                stop._on_signal(signal.SIGTERM, None)
            except stop.Terminated:
                pass  # what "Exception ignored in ..." amounts to

    previous = stop.install()
    try:
        with pytest.raises(stop.Terminated):
            run(RunConfig(inputs=[str(src)], output=str(tmp_path / "out.jsonl"),
                          options=Options(model=tiny_model)), progress=swallow_once)
    finally:
        stop.restore(previous)
    assert len(written) == 1
    assert list(tmp_path.iterdir()) == [src]
