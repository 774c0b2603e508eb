"""Type stubs of emovox's Rust extension module (re-exported by ``emovox``)."""

import os
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
AudioSource = Union[PathLike, bytes, bytearray, memoryview]
AudioOrSamples = Union[AudioSource, npt.ArrayLike]

class EmovoxError(ValueError):
    """An error from emovox's Rust core, with the message the ``emovox`` command prints."""

class NoSpeechError(EmovoxError):
    """A model that trims silence found no speech (or too little) in the input."""

def load(
    path_or_bytes: AudioSource,
    sr: Optional[int] = 16000,
    offset: float = 0.0,
    duration: Optional[float] = None,
) -> Tuple[npt.NDArray[np.float32], int]:
    """Decode any format emovox reads to mono float32, resampled to ``sr`` (None: native rate),
    ``duration`` seconds from ``offset`` as ``librosa.load`` reads them. Returns ``(y, sr)``."""

def mfcc(
    y: npt.ArrayLike,
    sr: int = 16000,
    n_mfcc: int = 13,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    top_db: Optional[float] = 80.0,
) -> npt.NDArray[np.float32]:
    """MFCC, shape ``(n_mfcc, frames)``, as ``librosa.feature.mfcc``."""

def melspectrogram(
    y: npt.ArrayLike,
    sr: int = 16000,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
    power: float = 2.0,
) -> npt.NDArray[np.float32]:
    """Mel spectrogram, shape ``(n_mels, frames)``, as ``librosa.feature.melspectrogram``."""

def features(
    y_or_bytes: AudioOrSamples, pipeline: str = "seed", sr: Optional[int] = None
) -> npt.NDArray[np.float32]:
    """Features of a named pipeline, shape ``(frames, columns)``, as ``emovox features`` writes
    them. Samples need ``sr``."""

def pipelines() -> List[str]:
    """The named presets: seed, mfcc, mfcc-deltas, logmel, handcrafted, logmel-stats."""

def pipeline_info(spec: str) -> Tuple[str, Optional[int], int]:
    """``(canonical spec, frames or None when it varies, columns)`` of a pipeline spec."""

def features_batch(
    data: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    pipeline: str = "seed",
    jobs: int = 1,
    paths: bool = False,
) -> Tuple[
    npt.NDArray[np.float32],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    List[Optional[str]],
]:
    """Features of every file of an Arrow-style binary column (value bytes + n+1 offsets), or
    with ``paths=True`` of the files a string column of paths / ``file:`` URIs names (opened
    here): ``(values, value_offsets, frames, columns, errors)``. Never raises for a bad file."""

def labels(
    paths: List[str],
    corpus: Optional[str] = None,
    root: Optional[PathLike] = None,
    scheme: str = "full",
) -> Dict[str, List[Optional[str]]]:
    """Labels read from file names by the corpus indexers: columns ``corpus``, ``speaker``,
    ``sex``, ``emotion``, ``label`` and ``error``."""

class Recognizer:
    """A trained model with its feature pipeline (``model=None``: the bundled model)."""

    def __init__(self, model: Optional[PathLike] = None) -> None: ...
    @property
    def classes(self) -> List[str]: ...
    @property
    def pipeline(self) -> str: ...
    @property
    def source(self) -> str: ...
    def predict(
        self, y_or_bytes: AudioOrSamples, sr: Optional[int] = None
    ) -> Dict[str, Union[str, float, List[Dict[str, Union[str, float]]]]]:
        """The prediction record: ``{"label": str, "confidence": float, "scores": [{"label":
        str, "probability": float}, ...]}`` (scores in ``classes`` order)."""
    def predict_speaker(
        self, items: List[AudioOrSamples], sr: Optional[int] = None, self_train: bool = False
    ) -> List[Dict[str, Union[str, float, bool, List[Dict[str, Union[str, float]]]]]]:
        """One speaker's (or one set-up's) recordings predicted together, adapted to them
        without labels; one prediction record per item (``"file"`` for items given as paths),
        ``{"error": str}`` (and ``"no_speech": True``) in the place of an item that fails.
        ``self_train=True``: an svm or logistic model is refitted on its surest answers for the items
        (at least 10) and predicts them again (``emovox predict --adapt --self-train``)."""
    def timeline(
        self,
        y_or_bytes: AudioOrSamples,
        sr: Optional[int] = None,
        window: Optional[float] = None,
        hop: Optional[float] = None,
        min_silence: float = 0.3,
        min_speech: float = 0.25,
        lead: float = 0.5,
    ) -> "TimelineSegments":
        """The emotion timeline, streamed: an iterator of segments ``{"start", "end", "label"
        (None for silence), "confidence", "scores"}`` yielded as they are found, in bounded
        memory however long the recording."""
    def timeline_batch(
        self,
        data: npt.NDArray[np.uint8],
        offsets: npt.NDArray[np.int64],
        jobs: int = 1,
        paths: bool = False,
        window: Optional[float] = None,
        hop: Optional[float] = None,
        min_silence: float = 0.3,
        min_speech: float = 0.25,
        lead: float = 0.5,
    ) -> Tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        List[Optional[str]],
        npt.NDArray[np.float32],
        npt.NDArray[np.float32],
        List[Optional[str]],
    ]:
        """Timelines of a batch as segment columns ``(row, start, end, labels, confidence,
        probabilities (segments, classes), errors (per input row))``; never raises for a bad
        file."""
    def predict_batch(
        self,
        data: npt.NDArray[np.uint8],
        offsets: npt.NDArray[np.int64],
        jobs: int = 1,
        paths: bool = False,
    ) -> Tuple[
        List[Optional[str]],
        npt.NDArray[np.float32],
        npt.NDArray[np.float32],
        List[Optional[str]],
        List[bool],
    ]:
        """The prediction records' fields as columns: ``(labels, confidence, probabilities
        (n, classes), errors, no_speech)``; never raises for a bad file."""


class TimelineSegments(Iterator[Dict[str, Any]]):
    """Segments of an emotion timeline as they are found (``Recognizer.timeline``)."""

    def __iter__(self) -> "TimelineSegments": ...
    def __next__(self) -> Dict[str, Any]: ...
