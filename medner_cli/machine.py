"""What machine a figure was measured on: recorded by bench, export and training alike."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask, not the host's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# the vector extensions that decide how fast onnxruntime's int8 products run: AVX2 alone
# multiplies in 16 bits, VNNI and AMX have 8-bit dot products, so an int8 speed-up measured on
# one CPU does not carry to another (docs/benchmarks.md, "an AVX2-only VM")
INT8_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpuinfo(path: Path = Path("/proc/cpuinfo")) -> tuple[str | None, list[str] | None]:
    """(model name, the ``INT8_FLAGS`` present) from /proc/cpuinfo; None for what it lacks."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None, None
    name = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")),
                None)
    flags = next((set(ln.split(":", 1)[1].split()) for ln in lines if ln.startswith("flags")),
                 None)
    return name, None if flags is None else [f for f in INT8_FLAGS if f in flags]


def machine() -> dict:
    """CPU, its int8 vector extensions, cores and library versions, so a figure can be
    compared with another run's."""
    import onnxruntime

    name, flags = cpuinfo()
    cpu = name or platform.processor() or platform.machine()
    out = {"cpu": cpu, "cpu_flags": flags, "cores": cpu_count(), "logical_cpus": os.cpu_count(),
           "onnxruntime": onnxruntime.__version__, "python": platform.python_version(),
           "platform": platform.platform()}
    for lib in ("torch", "transformers"):
        if lib in sys.modules:
            out[lib] = sys.modules[lib].__version__
    return out
