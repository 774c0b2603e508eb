"""emovox.spark on real Spark: local[2] over every RAVDESS file (features identical to what
`emovox features` writes), and a standalone master + worker on 127.0.0.1 started with spark-class.
Skipped visibly without pyspark/pyarrow/Java, unless EMOVOX_REQUIRE_PYTHON=1 (as in CI)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import long_recording


def spark_env() -> dict:
    env = dict(os.environ)
    # Executors must run the Python that has the emovox wheel and pyarrow.
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def run_job(args, timeout=900):
    return subprocess.run([sys.executable, "-m", "emovox.spark", *args], env=spark_env(),
                          capture_output=True, text=True, timeout=timeout)


def local(p: str) -> str:
    return p[len("file:"):] if p.startswith("file:") else p


@pytest.mark.parametrize("read", ["auto", "bytes"])
def test_local_mode_features_identical_to_emovox_features(datasets, emovox_bin, spark_ready, tmp_path,
                                                           read):
    """Both read modes: `auto` (local files: the executors open them, `paths`) and `bytes` (Spark
    reads them and passes their bytes)."""
    import pandas as pd

    rav = datasets / "ravdess"
    cli_out = tmp_path / "cli.parquet"
    o = subprocess.run([emovox_bin, "features", str(rav), "--out", str(cli_out), "--no-progress"],
                       capture_output=True, text=True)
    assert o.returncode == 0, o.stderr
    spark_out = tmp_path / "spark.parquet"
    o = run_job(["extract", "--input", f"{rav}/**", "--output", str(spark_out), "--labels",
                 "--master", "local[2]", "--read", read])
    assert o.returncode == 0, o.stdout + o.stderr[-5000:]
    assert "1440 file(s)" in o.stderr and "0 failed" in o.stderr, o.stderr[-2000:]
    assert f"read: {'paths' if read == 'auto' else read}" in o.stderr, o.stderr[-2000:]

    cli = pd.read_parquet(cli_out)
    got = pd.read_parquet(spark_out)
    assert len(cli) == 1440 and len(got) == 1440
    assert got["error"].isna().all()
    assert (got["pipeline"] == "seed").all()
    got.index = got["path"].map(local)
    cli.index = cli["path"]
    assert set(got.index) == set(cli.index)
    for path, row in cli.iterrows():
        g = got.loc[path]
        assert list(g["shape"]) == list(row["shape"]) == [100, 13], path
        a = np.asarray(g["values"], dtype=np.float32)
        b = np.asarray(row["values"], dtype=np.float32)
        assert np.array_equal(a, b), f"{path}: features differ from `emovox features`"
    # Labels from the RAVDESS indexer.
    assert (got["corpus"] == "ravdess").all()
    assert got["emotion"].value_counts().to_dict()["neutral"] == 96
    assert got["speaker"].nunique() == 24
    assert got["sex"].value_counts().to_dict() == {"female": 720, "male": 720}


def test_auto_read_mode_picks_paths_for_local_files_only(spark_ready):
    """`read="auto"`: paths for the local file system (by the input's scheme, else fs.defaultFS's),
    bytes for any other storage; no file system client is started to decide."""
    from pyspark.sql import SparkSession

    from emovox.spark import resolve_read

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[1]").appName("emovox resolve_read")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        for p in ["/data/**", "file:///data/a.wav", "rel/dir", "/d/{a,b}/**/*.flac"]:
            assert resolve_read(spark, p) == "paths", p
        for p in ["hdfs://nn:8020/a/**", "s3a://bucket/x/*.wav", "abfss://c@acct.dfs.core.windows.net/x"]:
            assert resolve_read(spark, p) == "bytes", p
        assert resolve_read(spark, "hdfs://nn/a", "paths") == "paths"
        assert resolve_read(spark, "/data", "bytes") == "bytes"
        with pytest.raises(ValueError, match="read must be one of"):
            resolve_read(spark, "/data", "files")
        spark._jsc.hadoopConfiguration().set("fs.defaultFS", "hdfs://nn:8020")
        assert resolve_read(spark, "/data/**") == "bytes"
    finally:
        spark.stop()


def test_bad_files_are_error_rows_in_both_read_modes(datasets, spark_ready, tmp_path):
    """A folder with good and bad files (and names Spark must not mangle), local[2]: each bad file
    is an error row, the job finishes, and both read modes give the same rows."""
    import pandas as pd

    import emovox

    src = tmp_path / "in"
    (src / "sub dir").mkdir(parents=True)
    fmt = datasets / "formats"
    files = {
        "happy.wav": fmt / "happy.wav",
        "happy.flac": fmt / "happy.flac",
        "sub dir/a clip %20 #1.ogg": fmt / "happy.ogg",
        "random_bytes.wav": fmt / "random_bytes.wav",
        "truncated.wav": fmt / "truncated.wav",
        "sub dir/not_audio.m4a": fmt / "not_audio.m4a",
    }
    for name, f in files.items():
        (src / name).write_bytes(f.read_bytes())
    rows = {}
    for read in ["paths", "bytes"]:
        out = tmp_path / f"{read}.parquet"
        o = run_job(["extract", "--input", str(src), "--output", str(out), "--master", "local[2]",
                     "--read", read])
        said = o.stdout + o.stderr
        assert o.returncode == 1 and "6 file(s)" in said and f"read: {read}" in said, said[-5000:]
        df = pd.read_parquet(out)
        df.index = df["path"].map(lambda p: str(Path(local(p)).relative_to(src)))
        rows[read] = df.sort_index()
        assert sorted(df.index) == sorted(files)
        bad = df[df["error"].notna()]
        assert set(bad.index) >= {"random_bytes.wav", "sub dir/not_audio.m4a"}, bad
        assert "not a recognised audio format" in bad.loc["random_bytes.wav", "error"]
        for name in ["happy.wav", "happy.flac", "sub dir/a clip %20 #1.ogg"]:
            assert df.loc[name, "error"] is None, df.loc[name, "error"]
            want = emovox.features(src / name)
            np.testing.assert_array_equal(np.asarray(df.loc[name, "values"], np.float32),
                                          want.reshape(-1))
    p, b = rows["paths"], rows["bytes"]
    assert list(p["error"].fillna("")) == list(b["error"].fillna(""))
    for name in p.index:
        assert np.array_equal(np.asarray(p.loc[name, "values"] if p.loc[name, "values"] is not None else []),
                              np.asarray(b.loc[name, "values"] if b.loc[name, "values"] is not None else [])), name


def timeline_folder(datasets: Path, root: Path) -> Path:
    """Two recordings of held-out actors (about 60 and 45 s) and a bad file."""
    src = root / "archive"
    (src / "day 2").mkdir(parents=True)
    long_recording(datasets, src / "call-1.wav", clips=12, actor=21)
    long_recording(datasets, src / "day 2" / "call 2.wav", clips=9, actor=22)
    (src / "broken.wav").write_bytes((datasets / "formats" / "random_bytes.wav").read_bytes())
    return src


def check_timeline_rows(df, src: Path) -> None:
    """Rows of `emovox.spark timeline` over `timeline_folder`: each recording's segments as
    `Recognizer.timeline` yields them, in time order, and one error row for the bad file."""
    import emovox

    rec = emovox.Recognizer()
    df = df.assign(name=df["path"].map(lambda p: str(Path(local(p)).relative_to(src))))
    assert sorted(set(df["name"])) == ["broken.wav", "call-1.wav", "day 2/call 2.wav"]
    bad = df[df["name"] == "broken.wav"]
    assert len(bad) == 1 and "not a recognised audio format" in bad["error"].iloc[0]
    assert bad[["start", "end", "label", "confidence"]].isna().all(axis=None)
    for name in ["call-1.wav", "day 2/call 2.wav"]:
        rows = df[df["name"] == name].sort_values("start")
        want = list(rec.timeline(src / name))
        assert rows["error"].isna().all()
        assert list(rows["start"]) == [w["start"] for w in want]
        assert list(rows["end"]) == [w["end"] for w in want]
        assert [None if pd_isna(v) else v for v in rows["label"]] == [w["label"] for w in want]
        speech = rows[rows["label"].notna()]
        assert len(speech) >= 9
        for (_, r), w in zip(speech.iterrows(), [w for w in want if w["label"]]):
            assert [s["label"] for s in r["scores"]] == rec.classes
            np.testing.assert_allclose([s["probability"] for s in r["scores"]],
                                       [s["probability"] for s in w["scores"]], rtol=1e-6)
            assert abs(r["confidence"] - w["confidence"]) < 1e-6
        silence = rows[rows["label"].isna()]
        assert silence["scores"].isna().all() and silence["confidence"].isna().all()


def pd_isna(v) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


@pytest.mark.parametrize("read", ["paths", "bytes"])
def test_timeline_job_one_row_per_segment_and_an_error_row_per_bad_file(datasets, spark_ready,
                                                                       tmp_path, read):
    """Issue 18: `python -m emovox.spark timeline` over an archive of recordings, local[2], in
    both read modes: the segments `emovox timeline` finds, and the bad file in its error row."""
    import pandas as pd

    src = timeline_folder(datasets, tmp_path)
    out = tmp_path / "segments.parquet"
    o = run_job(["timeline", "--input", str(src), "--output", str(out), "--master", "local[2]",
                 "--read", read])
    said = o.stdout + o.stderr
    assert o.returncode == 1 and "3 file(s)" in said and "1 failed" in said, said[-5000:]
    assert "x real time" in said
    check_timeline_rows(pd.read_parquet(out), src)


def test_r18_a_flac_bomb_streams_through_the_timeline_job_and_predict_refuses_it(spark_ready,
                                                                               tmp_path):
    """Issue 18: three hours of digital silence with a click a minute (FLAC, under 1 MB; 3.4 GB
    when a timeline held it whole): the Spark timeline job streams it to one silence segment,
    and the predict job, which reads a clip whole, gives it an error row instead of decoding it
    all."""
    import pandas as pd
    import soundfile as sf

    src = tmp_path / "in"
    src.mkdir()
    rate = 8000
    with sf.SoundFile(src / "bomb.flac", "w", rate, 1, "PCM_16", format="FLAC") as w:
        minute = np.zeros(60 * rate, np.float32)
        minute[: rate // 500] = 0.6
        for _ in range(180):
            w.write(minute)
    assert (src / "bomb.flac").stat().st_size < 1_000_000
    out = tmp_path / "segments.parquet"
    o = run_job(["timeline", "--input", str(src), "--output", str(out), "--master", "local[2]"])
    assert o.returncode == 0, (o.stdout + o.stderr)[-5000:]
    df = pd.read_parquet(out)
    assert len(df) == 1 and df["label"].isna().all() and df["error"].isna().all(), df
    assert (df["start"].iloc[0], df["end"].iloc[0]) == (0.0, 10800.0)
    out = tmp_path / "predictions.parquet"
    o = run_job(["predict", "--input", str(src), "--output", str(out), "--master", "local[2]"])
    assert o.returncode == 1, (o.stdout + o.stderr)[-5000:]
    df = pd.read_parquet(out)
    assert "longer than 600 s" in df["error"].iloc[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def wait_for(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_standalone_cluster_runs_the_job(datasets, spark_ready, tmp_path):
    import pandas as pd

    home = spark_home()
    spark_class = home / "bin" / "spark-class"
    env = spark_env()
    env["SPARK_HOME"] = str(home)
    port, ui, wui = free_port(), free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    procs = []
    try:
        with open(tmp_path / "master.log", "w") as log:
            procs.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(ui)], env=env, stdout=log, stderr=log))
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2), 120, "the master")
        with open(tmp_path / "worker.log", "w") as log:
            procs.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                 "--cores", "2", "--memory", "2g", "--webui-port", str(wui),
                 "--work-dir", str(tmp_path / "work")], env=env, stdout=log, stderr=log))

        def worker_alive():
            state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2))
            return state.get("aliveworkers", 0) >= 1

        wait_for(worker_alive, 120, "the worker to register")

        out = tmp_path / "predictions.parquet"
        job = Path(__import__("emovox.spark", fromlist=["spark"]).__file__)
        o = subprocess.run(
            [str(home / "bin" / "spark-submit"), "--master", url,
             "--conf", f"spark.pyspark.python={sys.executable}",
             "--conf", "spark.executor.memory=1g",
             str(job), "predict", "--input", str(datasets / "formats"), "--output", str(out),
             "--labels"],
            env=env, capture_output=True, text=True, timeout=900)
        # The bad files fail in their rows (exit status 1), the job does not. Spark's file source
        # lists no 0-byte files, so empty.wav has no row: 14 rows, 3 of them failed.
        # (spark-submit passes the Python driver's stderr on to its own stdout.)
        said = o.stdout + o.stderr
        assert o.returncode == 1 and "14 file(s)" in said and "3 failed" in said, \
            f"exit status {o.returncode}\n" + o.stdout + o.stderr[-8000:]
        df = pd.read_parquet(out)
        assert len(df) == 14, df
        bad = df[df["error"].notna()]
        assert sorted(Path(local(p)).name for p in bad["path"]) == [
            "not_audio.m4a", "random_bytes.wav", "truncated.wav"]
        assert any("not a recognised audio format" in e for e in bad["error"])
        assert any("file is truncated" in e for e in bad["error"])
        good = df[df["error"].isna()]
        assert good["label"].notna().all() and not good["no_speech"].any()
        # scores: the prediction record's [{label, probability}] in class order.
        probs = pd.DataFrame([{s["label"]: s["probability"] for s in row} for row in good["scores"]])
        assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
        assert (good["confidence"] == probs.max(axis=1).values).all()
        # The job ran on the cluster, not in local mode.
        apps = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5))
        assert apps.get("completedapps"), apps

        # Issue 18: timelines of an archive of recordings on the same cluster.
        src = timeline_folder(datasets, tmp_path)
        out = tmp_path / "segments.parquet"
        o = subprocess.run(
            [str(home / "bin" / "spark-submit"), "--master", url,
             "--conf", f"spark.pyspark.python={sys.executable}",
             "--conf", "spark.executor.memory=1g",
             str(job), "timeline", "--input", str(src), "--output", str(out)],
            env=env, capture_output=True, text=True, timeout=900)
        said = o.stdout + o.stderr
        assert o.returncode == 1 and "3 file(s)" in said and "1 failed" in said, \
            f"exit status {o.returncode}\n" + o.stdout + o.stderr[-8000:]
        check_timeline_rows(pd.read_parquet(out), src)
        apps = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5))
        assert len(apps.get("completedapps", [])) >= 2, apps
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
