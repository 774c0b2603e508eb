"""Shared helpers: where the corpora are, and skipping visibly (or failing, in CI)."""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]


def require(what: str, ok: bool) -> None:
    """Skip (visibly) when `ok` is false, or fail under EMOVOX_REQUIRE_PYTHON=1 (as in CI)."""
    if ok:
        return
    if os.environ.get("EMOVOX_REQUIRE_PYTHON") == "1":
        pytest.fail(f"{what} is required (EMOVOX_REQUIRE_PYTHON=1)")
    pytest.skip(f"SKIPPED: {what} not available")


def importable(name: str) -> bool:
    try:
        __import__(name)
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def datasets() -> Path:
    d = Path(os.environ.get("EMOVOX_DATASETS", REPO / ".." / "shared" / "datasets"))
    if (d / "ravdess").is_dir() and (d / "formats").is_dir():
        return d.resolve()
    if os.environ.get("EMOVOX_REQUIRE_DATASETS") == "1":
        pytest.fail(f"datasets not found at {d} and EMOVOX_REQUIRE_DATASETS=1")
    pytest.skip(f"SKIPPED: datasets not found at {d} (set EMOVOX_DATASETS)")


@pytest.fixture(scope="session")
def emovox_bin() -> str:
    """The `emovox` command: $EMOVOX_BIN (cargo test sets it), else target/release, else PATH."""
    for c in [os.environ.get("EMOVOX_BIN"), REPO / "target" / "release" / "emovox", shutil.which("emovox")]:
        if c and Path(c).is_file():
            return str(c)
    require("the emovox binary (cargo build --release)", False)
    return ""


@pytest.fixture(scope="session")
def spark_ready() -> None:
    require("pyspark", importable("pyspark") and importable("pyarrow") and importable("pandas"))
    java = shutil.which("java")
    ok = java is not None and subprocess.run([java, "-version"], capture_output=True).returncode == 0
    require("Java (for Spark)", ok)


@pytest.fixture(scope="session")
def librosa_ready() -> None:
    """The parity tests' reference: librosa (scripts/setup-python installs it)."""
    require("librosa", importable("librosa"))


def write_wav16(path: Path, y: np.ndarray, sr: int) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(y, -1, 1) * 32767).astype("<i2").tobytes())


def long_recording(datasets: Path, path: Path, clips: int = 10, actor: int = 23) -> Path:
    """RAVDESS clips of a held-out actor with 1.5 s of silence between them, as a 48 kHz WAV."""
    import emovox

    parts = [np.zeros(48000, np.float32)]
    for f in sorted((datasets / "ravdess" / f"Actor_{actor}").glob("*.flac"))[:clips]:
        y, sr = emovox.load(f, sr=None)
        assert sr == 48000
        parts += [y, np.zeros(72000, np.float32)]
    write_wav16(path, np.concatenate(parts), 48000)
    return path
