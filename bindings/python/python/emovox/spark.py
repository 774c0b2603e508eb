"""emovox on Apache Spark: features, predicted emotions or emotion timelines for every recording
under a glob.

Files are listed with Spark's ``binaryFile`` source; each executor decodes and featurises them
in emovox's Rust core, one call per Arrow record batch (``mapInArrow``: Arrow batches in and out,
no per-row Python loop). How the audio gets to the executors (``read``, ``--read``):

* ``paths``: Spark only lists the files (``path`` is the only column selected, so its reader never
  opens them) and the Rust core opens and decodes each listed file on the executor, as
  ``emovox features`` does. For storage the executors can open as files: the local file system,
  or a shared mount at the same path on every node.
* ``bytes``: Spark reads each file into the JVM (``content``) and hands the bytes over in the Arrow
  batches. For any storage Spark's Hadoop clients read (``hdfs:``, ``s3a:``, ``abfss:``...).
* ``auto`` (the default): ``paths`` when the input is on the local file system (``file:``, or no
  scheme with a local ``fs.defaultFS``), else ``bytes``. Spark opens ``file:`` inputs on the
  executors in either mode, so ``paths`` works wherever ``bytes`` would; it skips the JVM copy
  and its hand-off, most of Spark's per-file cost (``bench/RESULTS.md``).

The features are identical in both modes (and to ``emovox features``).

Output rows carry the file's ``path``, optionally the labels its name gives
under the corpus indexers (``corpus``, ``speaker``, ``sex``, ``emotion``, ``label``), the
features (``pipeline``, ``shape`` [frames, columns], ``values`` frame-major, the layout of
``emovox features``'s Parquet) or the prediction record (``label``, ``confidence``, ``scores``:
a list of ``{label, probability}`` in class order, ``no_speech``: the shape of ``emovox predict
--json``, the HTTP API and ``Recognizer.predict``; with ``labels``, the file name's label is
``true_label``), and ``error``: null, or why that file failed. One bad
file never fails the job (in ``paths`` mode not even one deleted after the listing). (Spark's
file source lists no 0-byte files: they get no row.)

``timeline`` is for archives of long recordings (calls, podcasts, sessions): one row per segment
(``path``, ``start``, ``end``, ``label`` (null for silence), ``confidence``, ``scores``), the
segments of ``emovox timeline``, or one ``error`` row per file that fails. Each executor streams
its files through the Rust core in bounded memory, however long they are.

Command line::

    python -m emovox.spark extract --input '/data/ravdess/**/*.flac' --output feats.parquet --labels
    python -m emovox.spark predict --input 'hdfs:///calls/2026-*/*.wav' --output emotions.parquet
    python -m emovox.spark timeline --input '/archive/**' --output segments.parquet

In a notebook::

    from emovox.spark import extract, predict, timeline
    df = extract(spark, "/data/ravdess/**", pipeline="seed", labels=True)   # a DataFrame
    predict(spark, "/data/calls/*.wav", output="emotions.parquet")
    segments = timeline(spark, "/archive/**")

Executors need the ``emovox`` wheel and ``pyarrow`` in the Python that ``PYSPARK_PYTHON`` names
(the command line sets it to its own interpreter when unset); see the README.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

AUDIO_EXTENSIONS: Tuple[str, ...] = (
    "wav", "wave", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "aif", "aiff", "aifc",
)

LABEL_COLUMNS: Tuple[str, ...] = ("corpus", "speaker", "sex", "emotion", "label")


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------

def _audio_glob() -> str:
    exts = sorted({e for x in AUDIO_EXTENSIONS for e in (x, x.upper())})
    return "*.{" + ",".join(exts) + "}"


def split_glob(pattern: str) -> Tuple[str, Optional[str], bool]:
    """``(path, file name filter, recursive)`` for Spark's reader. Spark globs match one folder
    level per ``*``; a ``**`` becomes a recursive listing of the folder before it, filtered by the
    last component (``dir/**/*.flac``), or by the audio extensions (``dir/**``)."""
    if "**" not in pattern:
        return pattern, None, False
    base, rest = pattern.split("**", 1)
    base = base.rstrip("/") or "/"
    last = rest.rsplit("/", 1)[-1]
    return base, (last if last else _audio_glob()), True


def _filesystem(spark: Any, path: str) -> Tuple[Any, Any]:
    jvm_path = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jvm_path, jvm_path.getFileSystem(spark._jsc.hadoopConfiguration())


def read_audio(spark: Any, input: str, content: bool = True) -> Any:
    """A ``binaryFile`` DataFrame (``path``, ``content``) of the files matching ``input``: a file,
    a folder (recursive, audio extensions only), a Spark glob, or a glob with ``**``. With
    ``content=False`` only ``path``: Spark then lists the files but never reads them (its
    ``binaryFile`` reader opens a file only when ``content`` is selected)."""
    path, name_filter, recursive = split_glob(input)
    if not recursive and not any(c in path for c in "*?[{"):
        # A folder: everything under it with an audio extension.
        jvm_path, fs = _filesystem(spark, path)
        if fs.exists(jvm_path) and fs.getFileStatus(jvm_path).isDirectory():
            name_filter, recursive = _audio_glob(), True
    reader = spark.read.format("binaryFile")
    if name_filter:
        reader = reader.option("pathGlobFilter", name_filter)
    if recursive:
        reader = reader.option("recursiveFileLookup", "true")
    df = reader.load(path)
    return df.select("path", "content") if content else df.select("path")


#: How executors get at the audio: ``paths`` (the Rust core opens each listed file itself),
#: ``bytes`` (Spark reads each file into the JVM and hands its bytes over in Arrow batches), or
#: ``auto`` (``paths`` for the local file system, ``bytes`` for any other).
READ_MODES: Tuple[str, ...] = ("auto", "paths", "bytes")


def resolve_read(spark: Any, input: str, read: str = "auto") -> str:
    """``"paths"`` or ``"bytes"`` for ``input`` under ``read`` (see :data:`READ_MODES`).

    ``auto`` picks ``paths`` when ``input`` is on the local file system (a ``file:`` URI, or a
    path without a scheme while ``fs.defaultFS`` is local): Spark's ``binaryFile`` reader opens
    such files on the executors anyway, so wherever the job could read their bytes, the executor's
    Python can open them too, and skipping the JVM copy and its Arrow hand-off is most of Spark's
    per-file cost. Any other storage (``hdfs:``, ``s3a:``, ``abfss:``, ``gs:``...) is ``bytes``:
    only Spark's Hadoop clients can read it."""
    if read not in READ_MODES:
        raise ValueError(f"read must be one of {', '.join(READ_MODES)}; got {read!r}")
    if read != "auto":
        return read
    # The scheme alone (no file system client is started): the path's, else fs.defaultFS's.
    jvm = spark._jvm.org.apache.hadoop.fs
    scheme = jvm.Path(split_glob(input)[0]).toUri().getScheme()
    if scheme is None:
        scheme = jvm.FileSystem.getDefaultUri(spark._jsc.hadoopConfiguration()).getScheme()
    return "paths" if scheme == "file" else "bytes"


#: Session settings :func:`tune_for_small_files` applies (unless already set in the SparkConf).
SMALL_FILE_CONF = {
    # Spark charges every file 4 MB ("open cost") when packing files into partitions, which puts
    # ~30 speech clips in each task; at 64 KB, with partitions of up to 128 MB (Spark's default,
    # set here so a smaller cluster-wide value does not apply), a task gets ~1000 clips and pays
    # its fixed overhead (scheduling, Python worker hand-off: ~40 ms) far less often. Spark
    # still makes at least one partition per core (it splits the input by total bytes / cores).
    # Measured on 4240 clips, local[2], quiet (paths / bytes): 30 tasks of ~140 clips 2.79 /
    # 3.04 s, 8 tasks 1.90 / 2.27 s, 4 tasks 1.73 / 2.25 s (bench/RESULTS.md).
    "spark.sql.files.openCostInBytes": str(64 << 10),
    "spark.sql.files.maxPartitionBytes": str(128 << 20),
    # Arrow batches of at most 256 files bound an executor's memory (a few MB per file at most).
    "spark.sql.execution.arrow.maxRecordsPerBatch": "256",
}


def tune_for_small_files(spark: Any) -> None:
    """Applies :data:`SMALL_FILE_CONF` to the session, except settings the user gave
    (``--conf`` / SparkConf). ``python -m emovox.spark`` calls it."""
    conf = spark.sparkContext.getConf()
    for k, v in SMALL_FILE_CONF.items():
        if not conf.contains(k):
            spark.conf.set(k, v)


# ---------------------------------------------------------------------------------------------
# Arrow batches
# ---------------------------------------------------------------------------------------------

def _binary_buffers(arr: Any) -> Tuple[Any, Any]:
    """Zero-copy views of an Arrow binary column: ``(value bytes as uint8, n + 1 int64 offsets)``."""
    import numpy as np
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    # A string column (paths) has the same layout as a binary one.
    wide = pa.types.is_large_binary(arr.type) or pa.types.is_large_string(arr.type)
    if not (wide or pa.types.is_binary(arr.type) or pa.types.is_string(arr.type)):
        arr = arr.cast(pa.large_binary())
        wide = True
    _, off_buf, data_buf = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if arr.null_count:
        # A null has an empty slot: it fails as an empty file, in its error cell.
        valid = np.asarray(arr.is_valid())
        ends = np.where(valid, offsets[1:], offsets[:-1])
        offsets = np.concatenate([offsets[:1], ends])
    return data, offsets


def _strings(values: Sequence[Optional[str]]) -> Any:
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def _label_arrays(paths: Any, opts: dict) -> Tuple[List[Any], Optional[List[Optional[str]]]]:
    from emovox import _emovox

    cols = _emovox.labels(
        paths.to_pylist(), corpus=opts.get("corpus"), root=opts.get("root"),
        scheme=opts.get("scheme", "full"),
    )
    return [_strings(cols[c]) for c in LABEL_COLUMNS], cols["error"]


def _errors(core: List[Optional[str]], labels: Optional[List[Optional[str]]]) -> Tuple[Any, Any]:
    """The ``error`` column (the core's reason, else a label error prefixed ``labels: ``) and
    the rows whose features or prediction worked, as a NumPy bool array."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    errs = _strings(core)
    valid = np.asarray(errs.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if labels is not None:
        prefixed = pc.binary_join_element_wise(pa.scalar("labels: "), _strings(labels), "")
        errs = pc.coalesce(errs, prefixed)
    return errs, valid


def _list_array(offsets: Any, values: Any, valid: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    mask = pa.array(~valid)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, mask=mask)


def extract_batches(
    pipeline: str = "seed", labels: bool = False, label_opts: Optional[dict] = None, jobs: int = 1,
    paths: bool = False,
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function of :func:`extract`: record batches of ``path``, ``content`` in
    (``path`` alone when ``paths``: the Rust core opens the files), record batches of
    :func:`extract_schema` out, one Rust call per batch."""
    label_opts = dict(label_opts or {})
    source = "path" if paths else "content"

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa
        from emovox import _emovox

        spec = _emovox.pipeline_info(pipeline)[0]
        for batch in batches:
            path_col = batch.column(batch.schema.get_field_index("path"))
            data, offsets = _binary_buffers(batch.column(batch.schema.get_field_index(source)))
            values, voff, frames, cols, errors = _emovox.features_batch(
                data, offsets, pipeline, jobs, paths=paths)
            n = len(frames)
            arrays = [path_col.cast(pa.string())]
            names = ["path"]
            label_errors = None
            if labels:
                label_arrays, label_errors = _label_arrays(path_col, label_opts)
                arrays += label_arrays
                names += list(LABEL_COLUMNS)
            error, valid = _errors(errors, label_errors)
            shape_values = pa.array(np.stack([frames, cols], axis=1).reshape(-1), type=pa.int32())
            arrays += [
                pa.repeat(pa.scalar(spec, type=pa.string()), n),
                _list_array(np.arange(0, 2 * n + 1, 2), shape_values, valid),
                _list_array(voff, pa.array(values, type=pa.float32()), valid),
                error,
            ]
            names += ["pipeline", "shape", "values", "error"]
            yield pa.RecordBatch.from_arrays(arrays, names=names)

    return run


def extract_schema(labels: bool = False) -> str:
    """The Spark schema (DDL) of :func:`extract`'s output."""
    label_ddl = "".join(f"{c} string, " for c in LABEL_COLUMNS) if labels else ""
    return (
        f"path string, {label_ddl}pipeline string, shape array<int>, values array<float>, "
        "error string"
    )


_RECOGNIZERS: dict = {}


def _recognizer(model: Optional[str]) -> Any:
    # One per Python worker (Spark reuses workers between tasks): loaded once.
    from emovox import _emovox

    if model not in _RECOGNIZERS:
        _RECOGNIZERS[model] = _emovox.Recognizer(model)
    return _RECOGNIZERS[model]


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# The file name's labels in :func:`predict`'s rows: ``label`` is the prediction's there (the
# prediction record's field), so the file name's ``label`` is ``true_label``.
PREDICT_LABEL_COLUMNS: Tuple[str, ...] = LABEL_COLUMNS[:-1] + ("true_label",)


def predict_schema(classes: Sequence[str], labels: bool = False) -> str:
    """The Spark schema (DDL) of :func:`predict`'s output: the prediction record's fields
    (``label``, ``confidence``, ``scores``, ``error``, ``no_speech``) after ``path`` and, with
    ``labels``, the file name's labels. ``classes`` (the model's) is kept for callers; the
    scores name their classes."""
    del classes
    label_ddl = "".join(f"{c} string, " for c in PREDICT_LABEL_COLUMNS) if labels else ""
    return (
        f"path string, {label_ddl}label string, confidence float, "
        f"scores array<struct<label: string, probability: float>>, error string, "
        f"no_speech boolean"
    )


def predict_batches(
    model: Optional[str] = None, labels: bool = False, label_opts: Optional[dict] = None,
    jobs: int = 1, paths: bool = False,
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function of :func:`predict` (``paths``: as for :func:`extract_batches`)."""
    label_opts = dict(label_opts or {})
    source = "path" if paths else "content"

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        rec = _recognizer(model)
        classes = rec.classes
        for batch in batches:
            path_col = batch.column(batch.schema.get_field_index("path"))
            data, offsets = _binary_buffers(batch.column(batch.schema.get_field_index(source)))
            predicted, conf, probs, errors, no_speech = rec.predict_batch(
                data, offsets, jobs, paths=paths)
            n = len(predicted)
            arrays = [path_col.cast(pa.string())]
            names = ["path"]
            label_errors = None
            if labels:
                label_arrays, label_errors = _label_arrays(path_col, label_opts)
                arrays += label_arrays
                names += list(PREDICT_LABEL_COLUMNS)
            error, valid = _errors(errors, label_errors)
            k = len(classes)
            # scores: per row, [{label, probability}] in class order (null on error).
            score_structs = pa.StructArray.from_arrays(
                [pa.array(np.tile(np.asarray(classes, dtype=object), n), type=pa.string()),
                 pa.array(probs.reshape(-1), type=pa.float32())],
                names=["label", "probability"])
            scores = pa.ListArray.from_arrays(
                pa.array(np.arange(0, n * k + 1, k), type=pa.int32()), score_structs,
                mask=pa.array(~valid))
            arrays += [
                _strings([p if v else None for p, v in zip(predicted, valid)]),
                pa.array(conf, type=pa.float32(), mask=~valid),
                scores,
                error,
                pa.array(no_speech, type=pa.bool_()),
            ]
            names += ["label", "confidence", "scores", "error", "no_speech"]
            yield pa.RecordBatch.from_arrays(arrays, names=names)

    return run


#: The Spark schema (DDL) of :func:`timeline`'s output: one row per segment of a recording (the
#: ``emovox timeline`` segment: ``label`` null for silence, with null ``confidence`` and
#: ``scores``), or one row per file that failed (``error`` set, the rest null).
TIMELINE_SCHEMA = (
    "path string, start double, end double, label string, confidence float, "
    "scores array<struct<label: string, probability: float>>, error string"
)

#: Options of :func:`timeline` passed to the Rust core (``emovox timeline``'s).
TIMELINE_OPTIONS: Tuple[str, ...] = ("window", "hop", "min_silence", "min_speech", "lead")


def timeline_batches(
    model: Optional[str] = None, jobs: int = 1, paths: bool = False,
    options: Optional[dict] = None,
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function of :func:`timeline`: each file of a batch streamed through
    the Rust core (bounded memory however long), its segments as rows in time order, or one
    error row for a file that fails."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    source = "path" if paths else "content"

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pyarrow as pa

        rec = _recognizer(model)
        classes = rec.classes
        k = len(classes)
        for batch in batches:
            path_col = batch.column(batch.schema.get_field_index("path")).cast(pa.string())
            data, offsets = _binary_buffers(batch.column(batch.schema.get_field_index(source)))
            row, start, end, labels, conf, probs, errors = rec.timeline_batch(
                data, offsets, jobs, paths=paths, **options)
            failed = np.asarray([i for i, e in enumerate(errors) if e is not None], dtype=np.int64)
            # Segments, then error rows, put back in the input's file order (stable).
            owner = np.concatenate([row, failed])
            order = np.argsort(owner, kind="stable")
            m, f = len(row), len(failed)
            # Each column: the segments' values, then a placeholder per error row, reordered.
            def col(values: Any, fill: Any, dtype: Any) -> Any:
                return np.concatenate([np.asarray(values, dtype), np.full(f, fill, dtype)])[order]

            speech = np.zeros(m + f, dtype=bool)
            speech[:m] = np.asarray([lab is not None for lab in labels], dtype=bool)
            speech = speech[order]
            seg_rows = np.ones(m + f, dtype=bool)
            seg_rows[m:] = False
            seg_rows = seg_rows[order]
            all_labels = list(labels) + [None] * f
            all_errors = [None] * m + [errors[i] for i in failed]
            n = m + f
            score_structs = pa.StructArray.from_arrays(
                [pa.array(np.tile(np.asarray(classes, dtype=object), n), type=pa.string()),
                 pa.array(np.concatenate([probs, np.full((f, k), np.nan, np.float32)])[order]
                          .reshape(-1), type=pa.float32())],
                names=["label", "probability"])
            arrays = [
                path_col.take(pa.array(owner[order])),
                pa.array(col(start, 0.0, np.float64), type=pa.float64(), mask=~seg_rows),
                pa.array(col(end, 0.0, np.float64), type=pa.float64(), mask=~seg_rows),
                _strings([all_labels[i] for i in order]),
                pa.array(col(conf, 0.0, np.float32), type=pa.float32(), mask=~speech),
                pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k), type=pa.int32()),
                                         score_structs, mask=pa.array(~speech)),
                _strings([all_errors[i] for i in order]),
            ]
            yield pa.RecordBatch.from_arrays(
                arrays, names=["path", "start", "end", "label", "confidence", "scores", "error"])

    return run


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------

def _jobs(spark: Any, jobs: Optional[int]) -> int:
    """Threads for each task's Rust call: ``jobs``, else the cores Spark gives a task
    (``spark.task.cpus``, default 1: Spark already runs one task per core, and more threads per
    task would only compete with the other tasks)."""
    if jobs is not None:
        return max(1, int(jobs))
    return max(1, int(spark.sparkContext.getConf().get("spark.task.cpus", "1")))


def _label_opts(corpus: Optional[str], root: Optional[str], scheme: str) -> dict:
    return {"corpus": corpus, "root": root, "scheme": scheme}


def extract(
    spark: Any,
    input: str,
    output: Optional[str] = None,
    pipeline: str = "seed",
    labels: bool = False,
    corpus: Optional[str] = None,
    root: Optional[str] = None,
    scheme: str = "full",
    jobs: Optional[int] = None,
    mode: str = "overwrite",
    read: str = "auto",
) -> Any:
    """Features of every audio file matching ``input`` (see :func:`read_audio`) with ``pipeline``,
    as a DataFrame (``path``, labels when ``labels``, ``pipeline``, ``shape``, ``values``,
    ``error``); also written as Parquet to ``output`` when given. ``jobs``: threads per Spark
    task (default: ``spark.task.cpus``, 1 unless set, as Spark already runs a task per core).
    ``read``: ``auto``, ``paths`` or ``bytes`` (see :func:`resolve_read`); the features are the
    same either way."""
    from emovox import _emovox

    _emovox.pipeline_info(pipeline)  # a bad spec fails here, on the driver, with its message
    paths = resolve_read(spark, input, read) == "paths"
    df = read_audio(spark, input, content=not paths).mapInArrow(
        extract_batches(pipeline, labels, _label_opts(corpus, root, scheme), _jobs(spark, jobs),
                        paths=paths),
        extract_schema(labels),
    )
    if output:
        df.write.mode(mode).parquet(output)
    return df


def predict(
    spark: Any,
    input: str,
    output: Optional[str] = None,
    model: Optional[str] = None,
    labels: bool = False,
    corpus: Optional[str] = None,
    root: Optional[str] = None,
    scheme: str = "full",
    jobs: Optional[int] = None,
    mode: str = "overwrite",
    read: str = "auto",
) -> Any:
    """The emotion predicted for every audio file matching ``input`` by ``model`` (a folder from
    ``emovox train``, readable on every executor; ``None``: the bundled model), as a DataFrame
    (``path``, labels when ``labels`` (the file name's ``label`` as ``true_label``), then the
    prediction record: ``label``, ``confidence``, ``scores``, ``error``, ``no_speech``); also
    written as Parquet to ``output`` when given. ``jobs`` and ``read``: as for
    :func:`extract`."""
    from emovox import _emovox

    classes = _emovox.Recognizer(model).classes  # on the driver: the output schema
    paths = resolve_read(spark, input, read) == "paths"
    df = read_audio(spark, input, content=not paths).mapInArrow(
        predict_batches(model, labels, _label_opts(corpus, root, scheme), _jobs(spark, jobs),
                        paths=paths),
        predict_schema(classes, labels),
    )
    if output:
        df.write.mode(mode).parquet(output)
    return df


def timeline(
    spark: Any,
    input: str,
    output: Optional[str] = None,
    model: Optional[str] = None,
    jobs: Optional[int] = None,
    mode: str = "overwrite",
    read: str = "auto",
    window: Optional[float] = None,
    hop: Optional[float] = None,
    min_silence: float = 0.3,
    min_speech: float = 0.25,
    lead: float = 0.5,
) -> Any:
    """Emotion timelines of every audio file matching ``input`` (long recordings: calls, podcasts,
    sessions), as ``emovox timeline`` makes them, by ``model`` (``None``: the bundled model): a
    DataFrame of :data:`TIMELINE_SCHEMA`, one row per segment, an error row per file that
    fails; also written as Parquet to ``output`` when given. Executors stream each file in
    bounded memory. With ``read="paths"`` (local files) the listed files are spread one per
    task (range-partitioned by path), so a few long recordings still use every core.
    ``jobs``, ``read``: as for :func:`extract`; the rest: ``emovox timeline``'s options."""
    import numpy as np

    from emovox import _emovox

    # On the driver: a bad model or option fails here, with its message.
    rec = _emovox.Recognizer(model)
    options = dict(window=window, hop=hop, min_silence=min_silence, min_speech=min_speech,
                   lead=lead)
    rec.timeline_batch(np.zeros(0, np.uint8), np.zeros(1, np.int64),
                       **{k: v for k, v in options.items() if v is not None})
    paths = resolve_read(spark, input, read) == "paths"
    df = read_audio(spark, input, content=not paths)
    if paths:
        # Only paths move in this shuffle; each task then gets about one recording.
        files = df.count()
        if files > 1:
            df = df.repartitionByRange(min(files, 100_000), "path")
    df = df.mapInArrow(timeline_batches(model, _jobs(spark, jobs), paths, options), TIMELINE_SCHEMA)
    if output:
        df.write.mode(mode).parquet(output)
    return df


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m emovox.spark",
        description="Features or predicted emotions for audio files, on Apache Spark.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in [
        ("extract", "features of a pipeline for every file"),
        ("predict", "the emotion predicted for every file"),
        ("timeline", "the emotion timeline of every (long) recording: one row per segment"),
    ]:
        s = sub.add_parser(name, help=help_)
        s.add_argument("--input", "-i", required=True,
                       help="file, folder, Spark glob, or glob with ** (quote it): "
                            "'/data/ravdess/**/*.flac', 'hdfs:///calls/*/*.wav'")
        s.add_argument("--output", "-o", required=True, help="Parquet output (a Spark dataset folder)")
        if name == "extract":
            s.add_argument("--pipeline", "-p", default="seed",
                           help="pipeline spec, as for `emovox features` (default: seed)")
        else:
            s.add_argument("--model", "-m", default=None,
                           help="model folder from `emovox train` (default: the bundled model)")
        if name == "timeline":
            s.add_argument("--window", type=float, default=None,
                           help="window, seconds (default: the model's; 3 for the bundled model)")
            s.add_argument("--hop", type=float, default=None,
                           help="hop between windows, seconds (default: a third of the window)")
            s.add_argument("--min-silence", type=float, default=0.3,
                           help="pauses shorter than this (s) do not split speech (default 0.3)")
            s.add_argument("--min-speech", type=float, default=0.25,
                           help="speech shorter than this (s) is ignored (default 0.25)")
            s.add_argument("--lead", type=float, default=0.5,
                           help="seconds before each speech onset in its first window (default 0.5)")
        else:
            s.add_argument("--labels", action="store_true",
                           help="add corpus, speaker, sex, emotion and label read from file names")
            s.add_argument("--corpus", default=None, help="with --labels: read names as this corpus")
            s.add_argument("--root", default=None,
                           help="with --labels: read unclaimed names as ROOT/LABEL/file")
            s.add_argument("--scheme", default="full",
                           help="with --labels: label scheme (full, seed4, FILE.toml)")
        s.add_argument("--master", default=None,
                       help="Spark master (default: spark-submit's, else local[*])")
        s.add_argument("--jobs", type=int, default=None,
                       help="threads per Spark task (default: spark.task.cpus, 1 unless set)")
        s.add_argument("--read", choices=READ_MODES, default="auto",
                       help="paths: executors open the listed files themselves (local file "
                            "systems only); bytes: Spark reads each file and passes its bytes; "
                            "auto (default): paths for file: inputs, bytes for hdfs:, s3a:...")
        s.add_argument("--partitions", type=int, default=None,
                       help="write this many Parquet files (default: one per Spark partition)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m emovox.spark``: exit status 0 when every file worked, 1 when any failed (its
    row then says why), 2 on usage errors."""
    args = _parser().parse_args(argv)
    # Executors run the Python that has emovox and pyarrow: this one, unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    builder = SparkSession.builder.appName(f"emovox {args.command}")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    tune_for_small_files(spark)
    start = time.time()
    try:
        read = resolve_read(spark, args.input, args.read)
        if args.command == "timeline":
            df = timeline(spark, args.input, None, model=args.model, jobs=args.jobs, read=read,
                          window=args.window, hop=args.hop, min_silence=args.min_silence,
                          min_speech=args.min_speech, lead=args.lead)
        else:
            common = dict(labels=args.labels, corpus=args.corpus, root=args.root,
                          scheme=args.scheme, jobs=args.jobs, read=read)
            if args.command == "extract":
                df = extract(spark, args.input, None, pipeline=args.pipeline, **common)
            else:
                df = predict(spark, args.input, None, model=args.model, **common)
        if args.partitions:
            df = df.coalesce(args.partitions)
        df.write.mode("overwrite").parquet(args.output)
        out = spark.read.parquet(args.output)
        counts = out.agg(F.countDistinct("path").alias("files"), F.count("*").alias("rows"),
                         F.count("error").alias("failed")).collect()[0]
        secs = time.time() - start
        if args.command == "timeline":
            audio = out.where(F.col("error").isNull()).groupBy("path") \
                .agg(F.max("end").alias("d")).agg(F.sum("d").alias("s")).collect()[0]["s"] or 0.0
            print(f"{counts['files']} file(s), {audio:.0f} s of audio -> {counts['rows']} rows "
                  f"in {args.output} in {secs:.1f} s ({audio / max(secs, 1e-9):.0f}x real time, "
                  f"read: {read}); {counts['failed']} failed", file=sys.stderr)
        else:
            print(f"{counts['rows']} file(s) -> {args.output} in {secs:.1f} s "
                  f"({counts['rows'] / max(secs, 1e-9):.1f} files/s, read: {read}); "
                  f"{counts['failed']} failed",
                  file=sys.stderr)
        if counts["failed"]:
            for r in out.where(F.col("error").isNotNull()).select("path", "error").limit(20).collect():
                print(f"  {r['path']}: {r['error']}", file=sys.stderr)
        return 1 if counts["failed"] else 0
    finally:
        spark.stop()


if __name__ == "__main__":
    # Run as a script (spark-submit .../emovox/spark.py): use the installed module's functions, so
    # Spark pickles references to `emovox.spark` for the executors instead of copies of this
    # file's functions and their globals.
    from emovox.spark import main as _main

    sys.exit(_main())
