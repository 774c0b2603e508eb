"""emovox: speech emotion recognition with a Rust core.

Audio loading and librosa-named features on NumPy arrays and bytes, the named pipelines of the
``emovox`` command, and the bundled emotion model::

    import emovox
    y, sr = emovox.load("speech.m4a", sr=16000)
    m = emovox.mfcc(y, sr, n_mfcc=13)              # (13, frames), as librosa.feature.mfcc
    x = emovox.features("speech.m4a", "seed")      # (100, 13), as `emovox features` writes it
    emovox.Recognizer().predict("speech.m4a")      # {"label": ..., "confidence": ..., ...}
    for seg in emovox.Recognizer().timeline("call.flac"):   # streamed, hours long is fine
        print(seg["start"], seg["end"], seg["label"])

Every call releases the GIL while it works. Errors of the Rust core are raised as
:class:`EmovoxError` (a ``ValueError``) with the core's message.

Spark: :mod:`emovox.spark` (needs ``pyspark`` and ``pyarrow``), ``python -m emovox.spark --help``.
"""

from emovox._emovox import (
    EmovoxError,
    NoSpeechError,
    Recognizer,
    TimelineSegments,
    __version__,
    features,
    features_batch,
    labels,
    load,
    melspectrogram,
    mfcc,
    pipeline_info,
    pipelines,
)

#: File extensions the ``emovox`` command (and ``emovox.spark``'s default filter) treats as audio.
AUDIO_EXTENSIONS = (
    "wav", "wave", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "aif", "aiff", "aifc",
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "EmovoxError",
    "NoSpeechError",
    "Recognizer",
    "TimelineSegments",
    "__version__",
    "features",
    "features_batch",
    "labels",
    "load",
    "melspectrogram",
    "mfcc",
    "pipeline_info",
    "pipelines",
]
