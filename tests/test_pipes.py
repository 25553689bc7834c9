"""Real processes and pipes: shell use, Ctrl-C, and a killed worker leave no partial output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MEDNER = [sys.executable, "-m", "medner_cli"]


def test_shell_pipe_jsonl(tiny_model, tmp_path):
    src = tmp_path / "notes.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": f"aspirin {i} mg daily"}) + "\n"
                           for i in range(30)))
    cmd = f"cat {src} | {sys.executable} -m medner_cli annotate --input-format jsonl " \
          f"--format jsonl --model {tiny_model} --workers 2 --chunk-size 4 > {tmp_path / 'out.jsonl'}"
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar in a pipe
    out = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == list(range(30))


def test_echo_into_annotate(tiny_model):
    done = subprocess.run(f'echo "Aspirin 81 mg daily for angina" | {sys.executable} -m medner_cli '
                          f"annotate --model {tiny_model}", shell=True, capture_output=True,
                          text=True, timeout=60)
    record = json.loads(done.stdout)
    assert {e["label"] for e in record["entities"]} == {"Chemical", "Dosage", "Disease"}


def _start_long_run(tiny_model: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    src = tmp_path / "big.jsonl"
    line = json.dumps({"text": "The patient took warfarin and heparin for angina. " * 4}) + "\n"
    src.write_text(line * 60000)
    out = tmp_path / "res" / "out.jsonl"
    out.parent.mkdir()
    proc = subprocess.Popen([*MEDNER, "annotate", str(src), "-o", str(out), "--model",
                             str(tiny_model), "--workers", "2", "-q"],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not list(out.parent.glob("*.part")):  # wait until it is writing
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, out


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_ctrl_c_leaves_no_partial_file(tiny_model, tmp_path):
    proc, out = _start_long_run(tiny_model, tmp_path)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    assert "interrupted" in proc.stderr.read()
    assert list(out.parent.iterdir()) == []


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_killed_worker_fails_cleanly(tiny_model, tmp_path):
    proc, out = _start_long_run(tiny_model, tmp_path)
    workers = _children(proc.pid)
    assert workers, "expected worker processes"
    os.kill(workers[0], signal.SIGKILL)
    assert proc.wait(timeout=30) == 1
    assert "worker process died" in proc.stderr.read()
    assert list(out.parent.iterdir()) == []
    time.sleep(0.2)
    assert not [p for p in workers if Path(f"/proc/{p}").exists()
                and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1][:3]]
