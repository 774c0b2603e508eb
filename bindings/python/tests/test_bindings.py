"""The `emovox` Python package: the Rust core on NumPy arrays and bytes, its errors, and parity with
librosa on real clips (those tests skip when librosa is not installed)."""

import threading
from pathlib import Path

import numpy as np
import pytest

import emovox
from conftest import long_recording, write_wav16

# Skipped visibly without librosa, a failure under EMOVOX_REQUIRE_PYTHON=1 (conftest.require).
needs_librosa = pytest.mark.usefixtures("librosa_ready")


def tone(sr=16000, secs=2.5, hz=220.0):
    t = np.arange(int(sr * secs)) / sr
    return (0.3 * np.sin(2 * np.pi * hz * t) + 0.1 * np.sin(2 * np.pi * 3 * hz * t)).astype(np.float32)


def ravdess_clip(datasets: Path) -> Path:
    return datasets / "ravdess" / "Actor_03" / "03-01-03-01-01-01-03.flac"


def tess_clip(datasets: Path) -> Path:
    return sorted((datasets / "tess").glob("YAF_*/*.flac"))[0]


# --- load ----------------------------------------------------------------------------------------

def test_load_path_and_bytes_agree(datasets):
    p = ravdess_clip(datasets)
    y, sr = emovox.load(p)
    y2, sr2 = emovox.load(p.read_bytes())
    assert sr == sr2 == 16000
    assert y.dtype == np.float32 and y.ndim == 1
    np.testing.assert_array_equal(y, y2)
    y3, _ = emovox.load(memoryview(p.read_bytes()))
    np.testing.assert_array_equal(y, y3)
    native, rate = emovox.load(str(p), sr=None)
    assert rate == 48000
    assert abs(len(native) / rate - len(y) / sr) < 1e-3


def test_load_offset_and_duration(datasets):
    p = ravdess_clip(datasets)
    whole, sr = emovox.load(p, sr=None)
    part, _ = emovox.load(p, sr=None, offset=0.4, duration=1.5)
    a = int(0.4 * sr)
    np.testing.assert_array_equal(part, whole[a : a + int(1.5 * sr)])


def test_bad_files_raise_emovox_error_with_the_cores_message(datasets):
    assert issubclass(emovox.EmovoxError, ValueError)
    with pytest.raises(emovox.EmovoxError, match="file is empty"):
        emovox.load(b"")
    with pytest.raises(emovox.EmovoxError, match="file is empty"):
        emovox.load(datasets / "formats" / "empty.wav")
    with pytest.raises(emovox.EmovoxError, match="not a recognised audio format"):
        emovox.load(datasets / "formats" / "random_bytes.wav")
    with pytest.raises(emovox.EmovoxError, match="nope.wav"):
        emovox.load("/definitely/not/here/nope.wav")
    with pytest.raises(emovox.EmovoxError, match="invalid pipeline"):
        emovox.features(tone(), "mfcc:n_mfcc=0", sr=16000)
    with pytest.raises(emovox.EmovoxError, match="sr is required"):
        emovox.features(tone(), "mfcc")
    with pytest.raises(ValueError):
        emovox.Recognizer().predict(np.zeros(100, np.float32), sr=16000)


def test_every_good_format_loads(datasets):
    good = [p for p in sorted((datasets / "formats").iterdir())
            if p.stem not in {"truncated", "random_bytes", "empty", "not_audio"}]
    assert len(good) >= 10
    for p in good:
        y, sr = emovox.load(p.read_bytes())
        assert sr == 16000 and len(y) > 16000, p


# --- features ------------------------------------------------------------------------------------

def test_features_of_path_bytes_and_samples(datasets):
    p = ravdess_clip(datasets)
    f = emovox.features(p)
    assert f.shape == (100, 13) and f.dtype == np.float32
    np.testing.assert_array_equal(f, emovox.features(p.read_bytes(), "seed"))
    y, sr = emovox.load(p, sr=None)
    np.testing.assert_allclose(emovox.features(y, "seed", sr=sr), f, atol=1e-4 * np.ptp(f))
    assert emovox.features(p, "handcrafted").shape == (1, 45)
    assert emovox.features(p, "mfcc-deltas").shape[1] == 39
    assert set(emovox.pipelines()) == {"seed", "mfcc", "mfcc-deltas", "logmel", "handcrafted", "logmel-stats", "speech-stats", "prosody", "utterance", "utterance-whisper"}
    assert emovox.pipeline_info("mfcc:n_mfcc=20,frames=50")[1:] == (50, 20)
    assert emovox.pipeline_info("logmel-stats")[1:] == (1, 512)


def test_logmel_stats_are_numpys_statistics_of_the_log_mel(datasets):
    # The same statistics written in numpy over emovox's own log-mel frames.
    for p in [ravdess_clip(datasets), tess_clip(datasets)]:
        x = emovox.features(p, "logmel:n_fft=512,hop=160,n_mels=64")
        level = x.mean(axis=1)
        x = x[level > level.max() - 40.0]
        d = np.diff(x, axis=0)
        want = np.concatenate([x.mean(0), x.std(0), x.max(0), x.min(0), np.percentile(x, 10, 0),
                               np.percentile(x, 90, 0), np.abs(d).mean(0), d.std(0)])
        got = emovox.features(p, "logmel-stats")
        assert got.shape == (1, 512)
        np.testing.assert_allclose(got[0], want, rtol=1e-4, atol=1e-3)


def test_features_batch_keeps_going_past_bad_items(datasets):
    items = [ravdess_clip(datasets).read_bytes(), b"", b"not audio at all", tess_clip(datasets).read_bytes()]
    data = np.frombuffer(b"".join(items), dtype=np.uint8)
    offsets = np.cumsum([0] + [len(i) for i in items]).astype(np.int64)
    values, voff, frames, cols, errors = emovox.features_batch(data, offsets, "seed")
    assert errors[0] is None and errors[3] is None
    assert errors[1] == "file is empty"
    assert "not a recognised audio format" in errors[2]
    assert list(frames) == [100, 0, 0, 100] and list(cols) == [13, 0, 0, 13]
    np.testing.assert_array_equal(values[voff[0]:voff[1]].reshape(100, 13), emovox.features(items[0]))
    np.testing.assert_array_equal(values[voff[3]:voff[4]].reshape(100, 13), emovox.features(items[3]))


def string_column(items):
    """An Arrow-style string column's buffers (UTF-8 bytes, n + 1 offsets), as emovox.spark
    passes a batch's `path` column."""
    raw = [i.encode() for i in items]
    data = np.frombuffer(b"".join(raw), dtype=np.uint8)
    return data, np.cumsum([0] + [len(r) for r in raw]).astype(np.int64)


def test_features_batch_of_paths_opens_the_files(datasets, tmp_path):
    good = ravdess_clip(datasets)
    spaced = tmp_path / "a clip %20 #1.flac"  # Spark lists names as they are, not %-encoded
    spaced.write_bytes(good.read_bytes())
    items = [f"file:{good}", str(tess_clip(datasets)), f"file://{spaced}", f"file:{tmp_path}/gone.wav",
             str(datasets / "formats" / "random_bytes.wav"), "hdfs://namenode/corpus/a.wav", ""]
    data, offsets = string_column(items)
    values, voff, frames, cols, errors = emovox.features_batch(data, offsets, "seed", paths=True)
    assert errors[:3] == [None, None, None]
    assert list(frames) == [100, 100, 100, 0, 0, 0, 0]
    for i, path in enumerate([good, tess_clip(datasets), spaced]):
        # Exactly what the path (and the bytes) give.
        np.testing.assert_array_equal(values[voff[i]:voff[i + 1]].reshape(100, 13), emovox.features(path))
        np.testing.assert_array_equal(values[voff[i]:voff[i + 1]].reshape(100, 13),
                                      emovox.features(Path(path).read_bytes()))
    assert "No such file" in errors[3]
    assert "not a recognised audio format" in errors[4]
    assert "path mode opens local files only" in errors[5] and "hdfs" in errors[5]
    assert errors[6] is not None
    # The same rows as bytes give the same errors where the bytes exist.
    bdata = np.frombuffer((datasets / "formats" / "random_bytes.wav").read_bytes(), dtype=np.uint8)
    berr = emovox.features_batch(bdata, np.array([0, len(bdata)], dtype=np.int64), "seed")[4]
    assert berr == [errors[4]]


def test_labels_from_file_names():
    cols = emovox.labels([
        "file:/d/ravdess/Actor_05/03-01-06-02-01-01-05.flac",
        "/d/tess/OAF_fear/OAF_bath_fear.flac",
        "/d/x/recording.wav",
        "/d/ravdess/03-01-09-01-01-01-05.wav",
    ])
    assert cols["corpus"] == ["ravdess", "tess", None, "ravdess" if cols["error"][3] is None else None]
    assert cols["emotion"][:2] == ["fearful", "fear"]
    assert cols["label"][:2] == ["fearful", "fearful"]
    assert cols["speaker"][:2] == ["Actor_05", "OAF"]
    assert cols["sex"][0] == "male"
    assert cols["error"][3] is not None and "emotion" in cols["error"][3]


def test_threads_share_the_core_and_agree(datasets):
    p = ravdess_clip(datasets).read_bytes()
    want = emovox.features(p)
    out = []

    def work():
        for _ in range(5):
            out.append(np.array_equal(emovox.features(p), want))

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [True] * 20


# --- Recognizer ----------------------------------------------------------------------------------

def test_recognizer_predicts_paths_bytes_and_samples(datasets):
    rec = emovox.Recognizer()
    assert rec.classes and rec.pipeline
    p = ravdess_clip(datasets)
    a = rec.predict(p)
    b = rec.predict(p.read_bytes())
    assert a == b
    assert a["label"] in rec.classes
    # The prediction record, the CLI's --json and the HTTP API's shape (issue 17).
    assert set(a) == {"label", "confidence", "scores"}
    assert [s["label"] for s in a["scores"]] == rec.classes
    probs = [s["probability"] for s in a["scores"]]
    assert abs(sum(probs) - 1.0) < 1e-4
    assert a["confidence"] == max(probs)
    y, sr = emovox.load(p, sr=None)
    c = rec.predict(y, sr=sr)
    assert c["label"] in rec.classes
    with pytest.raises(emovox.EmovoxError, match="Recognizer|model"):
        emovox.Recognizer("/definitely/not/a/model")


def test_predict_batch(datasets):
    rec = emovox.Recognizer()
    items = [ravdess_clip(datasets).read_bytes(), b""]
    data = np.frombuffer(b"".join(items), dtype=np.uint8)
    offsets = np.array([0, len(items[0]), len(items[0])], dtype=np.int64)
    labels, conf, probs, errors, no_speech = rec.predict_batch(data, offsets)
    assert labels[0] == rec.predict(items[0])["label"] and labels[1] is None
    assert probs.shape == (2, len(rec.classes)) and np.isnan(probs[1]).all()
    assert errors == [None, "file is empty"] and no_speech == [False, False]
    # Paths: the same prediction, and an error row for a file that cannot be opened.
    pdata, poffsets = string_column([f"file:{ravdess_clip(datasets)}", "/definitely/not/here.wav"])
    plabels, pconf, pprobs, perrors, _ = rec.predict_batch(pdata, poffsets, paths=True)
    assert plabels[0] == labels[0] and pconf[0] == conf[0]
    np.testing.assert_array_equal(pprobs[0], probs[0])
    assert perrors[0] is None and "No such file" in perrors[1] and np.isnan(pprobs[1]).all()


# --- parity with librosa -------------------------------------------------------------------------

@needs_librosa
def test_load_matches_librosa_at_native_rate(datasets):
    import librosa

    p = tess_clip(datasets)
    y, sr = emovox.load(p, sr=None)
    want, wsr = librosa.load(p, sr=None)
    assert sr == wsr
    np.testing.assert_allclose(y, want, atol=1e-6)


@needs_librosa
@pytest.mark.parametrize("which", ["ravdess", "tess"])
def test_mfcc_and_mel_match_librosa(datasets, which):
    import librosa

    p = ravdess_clip(datasets) if which == "ravdess" else tess_clip(datasets)
    y, sr = librosa.load(p, sr=16000)
    got = emovox.mfcc(y, sr=sr, n_mfcc=13)
    want = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=2048, hop_length=512)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) / np.ptp(want) <= 1e-4
    got = emovox.melspectrogram(y, sr=sr, n_mels=128)
    want = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=512, n_mels=128)
    assert got.shape == want.shape
    floor = want.max() * 1e-6  # bins above -60 dB re the peak
    m = want > floor
    assert np.max(np.abs(got[m] - want[m]) / want[m]) <= 1e-4


@needs_librosa
def test_seed_pipeline_matches_the_originals_librosa_code(datasets):
    import librosa

    p = ravdess_clip(datasets)
    y, sr = librosa.load(p, sr=16000, offset=0.4, duration=1.5)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).T
    want = np.zeros((100, 13), np.float32)
    want[: min(100, len(m))] = m[:100]
    got = emovox.features(p, "seed")
    assert np.max(np.abs(got - want)) / np.ptp(want) <= 5e-3  # the Rust parity test's bound


def test_the_gil_is_released_while_the_core_works(datasets):
    # While one thread is inside a long Rust call, this thread keeps running Python: with the GIL
    # held it could not take a single step until the call returned.
    clip = ravdess_clip(datasets).read_bytes()
    data = np.frombuffer(clip * 200, dtype=np.uint8)
    offsets = np.arange(201, dtype=np.int64) * len(clip)
    steps_during = []
    inside = threading.Event()

    def work():
        inside.set()
        emovox.features_batch(data, offsets, "seed")

    t = threading.Thread(target=work)
    t.start()
    inside.wait()
    n = 0
    while t.is_alive():
        n += 1
    t.join()
    steps_during.append(n)
    assert steps_during[0] > 1000, steps_during


# --- issue 15: samples beyond any audio scale ----------------------------------------------------

def huge_float_wav() -> bytes:
    """The file that crashed every path (issue 15): a 32-bit float WAV, 44.1 kHz, mono, with a
    `fact` chunk, cut short of what its header promises, whose samples are finite but about 3.3e38."""
    import struct
    rate, n = 44100, 31250
    data = np.tile(np.array([3.3e38, -2.97e38], dtype="<f4"), n // 2).tobytes()
    promised = len(data) + 4096
    fmt = struct.pack("<HHIIHHH", 3, 1, rate, rate * 4, 4, 32, 0)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"fact" + struct.pack("<II", 4, promised // 4)
            + b"data" + struct.pack("<I", promised) + data)
    return b"RIFF" + struct.pack("<I", len(body) + 4096) + body


def test_r15_huge_samples_raise_emovox_error_not_panic_exception(datasets, tmp_path):
    wav = huge_float_wav()
    path = tmp_path / "hostile.wav"
    path.write_bytes(wav)
    rec = emovox.Recognizer()
    for call in [lambda: rec.predict(wav), lambda: rec.predict(str(path)),
                 lambda: emovox.features(wav), lambda: emovox.load(wav)]:
        with pytest.raises(emovox.EmovoxError, match="beyond any audio scale"):
            call()
    huge = np.full(48000, 3e38, dtype=np.float32)
    nan = tone()
    nan[len(nan) // 2] = np.nan  # inside the seed model's 0.4-1.9 s crop (at 44.1 kHz)
    for y in [huge, nan]:
        with pytest.raises(emovox.EmovoxError):
            rec.predict(y, sr=44100)
        with pytest.raises(emovox.EmovoxError):
            emovox.mfcc(y)
        with pytest.raises(emovox.EmovoxError):
            emovox.melspectrogram(y)
        with pytest.raises(emovox.EmovoxError):
            emovox.features(y, "seed", sr=44100)
    # A batch (a Spark partition) fails that row alone.
    items = [ravdess_clip(datasets).read_bytes(), wav]
    data = np.frombuffer(b"".join(items), dtype=np.uint8)
    offsets = np.cumsum([0] + [len(i) for i in items]).astype(np.int64)
    labels, conf, probs, errors, no_speech = rec.predict_batch(data, offsets)
    assert errors[0] is None and labels[0] == rec.predict(items[0])["label"]
    assert labels[1] is None and "beyond any audio scale" in errors[1]
    _, _, frames, _, ferrors = emovox.features_batch(data, offsets, "seed")
    assert ferrors[0] is None and frames[0] == 100
    assert "beyond any audio scale" in ferrors[1]
    # And the recognizer still works.
    assert rec.predict(items[0])["label"] in rec.classes


def test_silence_raises_no_speech_error_with_the_bundled_model():
    """Digital silence was called "neutral 51 %" (issue 16): the bundled model trims silence and
    raises NoSpeechError (an EmovoxError), and a tone burst inside silence still gets an emotion."""
    rec = emovox.Recognizer()
    with pytest.raises(emovox.NoSpeechError, match="no speech"):
        rec.predict(np.zeros(32000, dtype=np.float32), sr=16000)
    assert issubclass(emovox.NoSpeechError, emovox.EmovoxError)
    t = np.arange(16000, dtype=np.float32) / 16000
    burst = np.concatenate([np.zeros(16000), 0.3 * np.sin(2 * np.pi * 180 * t), np.zeros(16000)])
    p = rec.predict(burst.astype(np.float32), sr=16000)
    assert p["label"] in rec.classes


def test_predict_speaker_adapts_to_clips_given_together(datasets):
    """Issue 16: one speaker's recordings predicted together, adapted to them without labels;
    an item that fails is reported in its place and the others are still predicted."""
    rec = emovox.Recognizer()
    clips = sorted((datasets / "ravdess" / "Actor_24").glob("03-01-0[1358]-*.flac"))[:6]
    items = [str(p) for p in clips[:3]] + [b"RIFF not audio"] + [p.read_bytes() for p in clips[3:]]
    out = rec.predict_speaker(items)
    assert len(out) == 7
    assert "error" in out[3] and "label" not in out[3]
    good = [o for i, o in enumerate(out) if i != 3]
    assert all(o["label"] in rec.classes for o in good)
    alone = [rec.predict(p) for p in clips]
    assert [o["scores"] for o in good] != [a["scores"] for a in alone]
    # Items given as paths are named in their records.
    assert out[0]["file"] == str(clips[0]) and "file" not in out[4]
    # One clip "together" is read as it is; silence is reported as no speech in its place.
    together = rec.predict_speaker([clips[0]])[0]
    assert together.pop("file") == str(clips[0]) and together == alone[0]
    silent = rec.predict_speaker([np.zeros(32000, np.float32), str(clips[0])], sr=16000)
    assert silent[0].get("no_speech") is True and silent[1]["label"] in rec.classes


def test_predict_speaker_self_train_refits_on_the_clips_given_together(datasets):
    """Issue 16: self-training over one speaker's recordings (`predict --adapt --self-train`):
    the bundled svm is refitted on its surest answers and predicts them again; a failed item
    keeps its place."""
    rec = emovox.Recognizer()
    clips = sorted((datasets / "ravdess" / "Actor_24").glob("03-01-0[1358]-*.flac"))[:12]
    assert len(clips) == 12
    items = [str(p) for p in clips] + [b"RIFF not audio"]
    adapted = rec.predict_speaker(items)
    trained = rec.predict_speaker(items, self_train=True)
    assert len(trained) == 13 and "error" in trained[12]
    assert all(o["label"] in rec.classes for o in trained[:12])
    assert [o["scores"] for o in trained[:12]] != [o["scores"] for o in adapted[:12]]
    # Fewer than 10 readable items: adapted only.
    few = rec.predict_speaker(items[:5], self_train=True)
    assert [o["scores"] for o in few] == [o["scores"] for o in rec.predict_speaker(items[:5])]


# --- timeline ------------------------------------------------------------------------------------

def same_segments(got, want) -> None:
    """The same segments; probabilities as float32 (the command prints them as such)."""
    assert [(g["start"], g["end"], g["label"]) for g in got] == \
        [(w["start"], w["end"], w["label"]) for w in want]
    for g, w in zip(got, want):
        assert [s["label"] for s in g["scores"]] == [s["label"] for s in w["scores"]]
        np.testing.assert_array_equal(
            np.float32([g["confidence"]] + [s["probability"] for s in g["scores"]]),
            np.float32([w["confidence"]] + [s["probability"] for s in w["scores"]]))


def test_timeline_streams_the_segments_emovox_timeline_prints(datasets, emovox_bin, tmp_path):
    """Issue 18: `Recognizer.timeline` yields the segments of `emovox timeline --format json`,
    from a path, bytes or samples alike."""
    import json
    import subprocess

    wav = long_recording(datasets, tmp_path / "long.wav")
    o = subprocess.run([emovox_bin, "timeline", str(wav), "--format", "json"],
                       capture_output=True, text=True, check=True)
    want = json.loads(o.stdout)["segments"]
    rec = emovox.Recognizer()
    it = rec.timeline(wav)
    assert isinstance(it, emovox.TimelineSegments)
    got = list(it)
    same_segments(got, want)
    assert sum(s["label"] is not None for s in got) >= 10
    assert list(rec.timeline(wav.read_bytes())) == got
    y, sr = emovox.load(wav, sr=None)
    assert list(rec.timeline(y, sr=sr)) == got
    # Options as the command's; bad ones fail at the call, with the core's message.
    assert list(rec.timeline(wav, window=1.5)) != got
    with pytest.raises(emovox.EmovoxError, match="hop must be"):
        rec.timeline(wav, hop=9.0)
    with pytest.raises(emovox.EmovoxError, match="sr is required"):
        rec.timeline(y)


def test_timeline_of_a_bad_file_raises_once_then_stops(datasets):
    rec = emovox.Recognizer()
    it = rec.timeline(datasets / "formats" / "random_bytes.wav")
    with pytest.raises(emovox.EmovoxError, match="random_bytes.wav"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_r18_two_hours_stream_through_the_timeline_in_bounded_memory(tmp_path):
    """Issue 18: a timeline of hours held the whole recording (3.4 GB for a 3-hour file). Two
    hours of near-silence with a click a minute (8 kHz, 115 MB as 16-bit WAV, 460 MB as the
    16 kHz samples a whole-file timeline held) now stream in a few MB; `predict`, which reads a
    clip whole, refuses it by its length."""
    import resource

    sr = 8000
    y = np.zeros(2 * 3600 * sr, np.float32)
    y[:: 60 * sr] = 0.6
    wav = tmp_path / "hours.wav"
    write_wav16(wav, y, sr)
    del y
    rec = emovox.Recognizer()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    segs = list(rec.timeline(wav))
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert [(s["start"], s["end"], s["label"]) for s in segs] == [(0.0, 7200.0, None)]
    assert grew < 100, f"peak memory grew by {grew:.0f} MB"
    with pytest.raises(emovox.EmovoxError, match="longer than 600 s"):
        rec.predict(wav)


def test_r17_hand_edited_network_config_raises_emovox_error_not_panic_exception(tmp_path):
    """Issue 17: a hand-edited model.json with "utterance_norm": "z" or empty "channels" made
    Recognizer(...) raise PanicException (the network config was not checked on load)."""
    import json
    import shutil

    from conftest import REPO

    for key, value in [("utterance_norm", "z"), ("channels", []), ("dropout", 1.5)]:
        run = tmp_path / key
        shutil.copytree(REPO / "models" / "tiny", run, ignore=shutil.ignore_patterns("int8"))
        meta = json.loads((run / "model.json").read_text())
        assert key in meta["model"]
        meta["model"][key] = value
        (run / "model.json").write_text(json.dumps(meta))
        with pytest.raises(emovox.EmovoxError, match=key):
            emovox.Recognizer(str(run))
