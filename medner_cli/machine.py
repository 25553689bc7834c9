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


def machine() -> dict:
    """CPU, cores and library versions, so a figure can be compared with another run's."""
    import onnxruntime

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out = {"cpu": cpu, "cores": cpu_count(), "logical_cpus": os.cpu_count(),
           "onnxruntime": onnxruntime.__version__, "python": platform.python_version(),
           "platform": platform.platform()}
    for lib in ("torch", "transformers"):
        if lib in sys.modules:
            out[lib] = sys.modules[lib].__version__
    return out
