"""The wheel installs anywhere: built by scripts/setup-python into target/wheels, installed into
a fresh virtual environment (nothing but pip and the wheel's own dependency, numpy), it decodes
an Opus file, and its extension module needs no libopus on the machine (libopus is compiled from
source and linked statically; issue 17's wheel bug: maturin failed for lack of `patchelf` while
trying to copy the system libopus into the wheel)."""

import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO, require

SCRIPT = r"""
import sys, pathlib, emovox, emovox._emovox as ext
y, sr = emovox.load(sys.argv[1], sr=16000)
assert sr == 16000 and len(y) > 16000, (sr, len(y))
so = pathlib.Path(ext.__file__).read_bytes()
# The dynamic section's NEEDED names sit in .dynstr as plain strings.
assert b"libopus.so" not in so, "the extension still links the system libopus"
print("ok", len(y))
"""


def test_wheel_installs_in_a_fresh_venv_and_decodes_opus_without_system_libopus(datasets, tmp_path):
    wheels = sorted((REPO / "target" / "wheels").glob("emovox-*.whl"), key=lambda p: p.stat().st_mtime)
    require("a built wheel in target/wheels (scripts/setup-python builds it)", bool(wheels))
    wheel = wheels[-1]  # the newest
    assert "manylinux" in wheel.name, f"{wheel.name} is not a manylinux wheel"
    env_dir = tmp_path / "venv"
    # Without pip inside (Debian's python3 has no ensurepip unless python3-venv is installed);
    # this interpreter's pip installs into it (`--python`, pip >= 22.3).
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
         "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    run = subprocess.run([py, "-c", SCRIPT, str(datasets / "formats" / "happy.opus")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok "), run.stdout
