"""Classifying a batch of files with the shipped models, in this process or on the workers of a Dask cluster.

:func:`classify_batch` is one task: it decodes each file once, cuts it into the models'
input windows, runs the single-genre model (whose ``taggram`` layer gives the clip
embedding) and the multi-genre model on every window of the batch at once, and returns
the catalogue rows (``helpers.library.catalog.SCHEMA``) with the seconds spent decoding,
computing mel windows and in the networks. The models are loaded once per process
(:func:`_models`), so a Dask worker loads them on its first task and keeps them.

:func:`connect` starts or joins a Dask cluster (``LocalCluster`` for ``--workers N``, a
running scheduler for ``--scheduler ADDRESS``); :func:`run_batches` sends the batches to it or runs them here,
with at most two batches per worker in flight, so neither the client's nor a
worker's memory grows with the library; each result is handed to ``on_result``
(which writes it as a catalogue part) as soon as it arrives.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import predict
from ..cli import UserError
from ..data import audio, stream
from ..models import artifacts
from ..models.pretrained_port import WINDOW_FRAMES
from .catalog import TOP, Stat

EMBEDDING_LAYER = "taggram"  # musicnn's 50 tag probabilities per window: their mean over a file is its embedding
NETWORK_BATCH = 16  # windows per pass: musicnn's front end needs about 100 MB per window (measured: 16 -> 1.5 GB, 64 -> 3.2 GB)
STAGES = ("decode", "mel", "network")
SCHEDULER_TIMEOUT_S = 10
WORKER_WAIT_S = 60  # how long a run waits for the first worker of a running cluster


@dataclass
class BatchResult:
    """One task's catalogue rows and the seconds it spent per stage (:data:`STAGES`)."""

    rows: list[dict]
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))


class Models:
    """The single-genre model, the optional multi-genre model and the embedding layer, as few networks as possible.

    When the multi-genre model's head reads a layer that the single-genre model computes with the same weights
    (both frozen on one checkpoint, as the shipped models are), its head is attached to the single-genre model's
    graph, so a window goes through the checkpoint once, not twice (:func:`_shared_trunk`)."""

    def __init__(self, model_file: str, multi_file: str | None, threads: int | None = None,
                 hop_seconds: float | None = None) -> None:
        if threads:
            _limit_threads(threads)
        import keras

        single, self.sidecar = artifacts.load_artifact(model_file)
        self.prep = self.sidecar["preprocessing"]
        if self.prep["input"] == "kaggle-image":
            raise UserError(f"{model_file} classifies Kaggle PNG images, not audio: give a model trained on audio")
        self.multi_sidecar, self.threshold, multi = None, None, None
        if multi_file:
            multi, self.multi_sidecar = artifacts.load_artifact(multi_file)
            settings = (self.multi_sidecar.get("card") or {}).get("multi_label") or {}
            if "threshold" not in settings:
                raise UserError(f"{multi_file} is not a multi-genre model (no threshold in its card)")
            if self.multi_sidecar["preprocessing"] != self.prep:
                raise UserError(f"{multi_file} reads other inputs than {model_file}; give two models of one preprocessing")
            self.threshold = float(settings["threshold"])
        if hop_seconds is not None:  # windows every hop_seconds instead of the model's hop (checked by classify.check_hop)
            self.prep = {**self.prep, "hop_seconds": float(hop_seconds)}
        outputs = {"genre": single.output}
        self.networks = []
        trunk = _shared_trunk(single, multi) if multi is not None else None
        if trunk:
            outputs["multi"] = keras.Model(multi.get_layer(trunk).output, multi.output)(single.get_layer(trunk).output)
        # The embedding comes from whichever model computes the taggram on its way (a head that reads another layer
        # leaves the taggram out of its model's graph).
        if _has_layer(single):
            outputs["embedding"] = single.get_layer(EMBEDDING_LAYER).output
        self.networks.append(keras.Model(single.input, outputs))
        if multi is not None and not trunk:
            extra = {"multi": multi.output}
            if "embedding" not in outputs and _has_layer(multi):
                extra["embedding"] = multi.get_layer(EMBEDDING_LAYER).output
            self.networks.append(keras.Model(multi.input, extra))

    def predict(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Per window: ``genre`` probabilities, and ``multi`` (multi-genre probabilities) and ``embedding`` (taggram)
        when there are such models and layers."""
        result: dict[str, np.ndarray] = {}
        for network in self.networks:
            result.update(_forward(network, inputs))
        return result


def _has_layer(model) -> bool:
    return any(layer.name == EMBEDDING_LAYER for layer in model.layers)


def _shared_trunk(single, multi) -> str | None:
    """The layer ``multi``'s head reads when ``single`` computes it too, with the same result on a probe input (the
    same checkpoint, frozen in both); else ``None``."""
    import keras

    try:
        head_input = multi.get_layer("standardise").input._keras_history[0].name  # multigenre.deployable_multi's layers
        single.get_layer(head_input)
    except (ValueError, AttributeError, IndexError):
        return None
    shape = [WINDOW_FRAMES if d is None else d for d in multi.input_shape[1:]]  # musicnn's window length is not fixed
    probe = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    a = keras.Model(single.input, single.get_layer(head_input).output)(probe, training=False)
    b = keras.Model(multi.input, multi.get_layer(head_input).output)(probe, training=False)
    return head_input if np.allclose(np.asarray(a), np.asarray(b), atol=1e-5) else None


def _forward(model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """The model's outputs (a dict) on ``inputs``, in passes of exactly :data:`NETWORK_BATCH` windows (the last one
    padded): one compiled graph call each (``predict_on_batch``: no ``predict`` loop, whose per-call overhead
    dominates for short files; measured 20 % faster than eager calls, and 2 GB less memory), and one input shape only
    (TensorFlow's CPU kernels are set up again for every new shape, which costs seconds)."""
    outputs: list[dict[str, np.ndarray]] = []
    for i in range(0, len(inputs), NETWORK_BATCH):
        chunk = inputs[i:i + NETWORK_BATCH]
        padded = np.concatenate([chunk, np.zeros((NETWORK_BATCH - len(chunk), *chunk.shape[1:]), chunk.dtype)])
        outputs.append({k: np.asarray(v)[:len(chunk)] for k, v in model.predict_on_batch(padded).items()})
    return {k: np.concatenate([o[k] for o in outputs]) for k in outputs[0]}


def _limit_threads(threads: int) -> None:
    """TensorFlow's thread pools sized to a worker's share of the machine (before TensorFlow starts its runtime)."""
    from ..runtime import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # the runtime started already: its pools stay as they are
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


@functools.cache
def _models(model_file: str, multi_file: str | None, threads: int | None, model: str,
            hop_seconds: float | None = None) -> Models:
    """The models of this process, loaded once (a Dask worker keeps them between tasks); ``model`` (the files'
    hashes) is part of the key, so a model retrained at the same path is loaded again."""
    return Models(model_file, multi_file, threads, hop_seconds)


def _short_file_inputs(path: str, prep: dict, seconds: dict[str, float]) -> tuple[np.ndarray, float, list[str]]:
    """The network inputs of a file decoded whole: ``(windows, duration, notes)``."""
    start = time.perf_counter()
    samples, duration = predict.decode(path, prep)
    seconds["decode"] += time.perf_counter() - start
    start = time.perf_counter()
    inputs = predict.prepare_audio(samples, prep)
    seconds["mel"] += time.perf_counter() - start
    return inputs, duration, predict.audio_notes(samples, prep)


def _long_file_means(path: str, models: Models, seconds: dict[str, float]) -> tuple[dict, int, list[str]]:
    """The mean of each output over a long file's windows, read block by block and run through the networks block
    by block (``helpers.predict.long_file_batches``): memory bounded by a block, whatever the file's length."""
    peak, sums, windows = predict.Peak(), {}, 0
    start = time.perf_counter()
    for block in predict.long_file_batches(path, models.prep, peak):
        seconds["mel"] += time.perf_counter() - start  # decoding included: it happens inside the same generator
        start = time.perf_counter()
        for key, values in models.predict(block).items():
            sums[key] = values.sum(axis=0, dtype=np.float64) + sums.get(key, 0.0)
        seconds["network"] += time.perf_counter() - start
        windows += len(block)
        start = time.perf_counter()
    notes = ["digital silence: the prediction means nothing"] if peak.value <= predict.SILENCE_PEAK else []
    return {key: (total / windows).astype(np.float32) for key, total in sums.items()}, windows, notes


def classify_batch(files: Sequence[tuple[str, str, Stat, str | None]], model_file: str, multi_file: str | None, model: str,
                   threads: int | None = None, hop_seconds: float | None = None) -> BatchResult:
    """Catalogue rows of ``files`` (``(path, relpath, stat, sha256)``): a Dask task, or a call in this process.

    The windows of the batch's files go through the networks together; a file longer than
    ``stream.LONG_FILE_SECONDS`` goes through on its own, block by block."""
    models = _models(model_file, multi_file, threads, model, hop_seconds)
    result = BatchResult(rows=[])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    pending: list[tuple[dict, np.ndarray]] = []
    for path, relpath, stat, digest in files:
        row = dict(path=path, relpath=relpath, size=stat.size, mtime_ns=stat.mtime_ns, sha256=digest, model=model,
                   classified_at=now)
        try:
            duration = audio.info(path).duration
            if duration > stream.LONG_FILE_SECONDS:
                means, windows, notes = _long_file_means(path, models, result.seconds)
                result.rows.append(_filled({**row, "duration": duration, "status": "ok", "note": "; ".join(notes) or None},
                                           means, windows, models))
                continue
            inputs, duration, notes = _short_file_inputs(path, models.prep, result.seconds)
        except (audio.AudioError, OSError, ValueError) as error:
            result.rows.append({**row, "status": "unreadable", "reason": str(error).removeprefix(f"{path}: ")})
            continue
        pending.append(({**row, "duration": duration, "status": "ok", "note": "; ".join(notes) or None}, inputs))
    if pending:
        bounds = np.cumsum([0, *(len(inputs) for _, inputs in pending)])
        start = time.perf_counter()
        outputs = models.predict(np.concatenate([inputs for _, inputs in pending]))
        result.seconds["network"] += time.perf_counter() - start
        for k, (row, _) in enumerate(pending):
            window = slice(bounds[k], bounds[k + 1])
            means = {key: values[window].mean(axis=0) for key, values in outputs.items()}
            result.rows.append(_filled(row, means, int(bounds[k + 1] - bounds[k]), models))
    result.rows.sort(key=lambda r: r["path"])
    return result


def _filled(row: dict, means: dict[str, np.ndarray], windows: int, models: Models) -> dict:
    """``row`` with the predictions made from the mean of each output over the file's windows."""
    genres = models.sidecar["genres"]
    mean = means["genre"]
    order = np.argsort(mean, kind="stable")[::-1]
    row.update(genre=genres[order[0]], probability=float(mean[order[0]]), windows=windows,
               top=[{"genre": genres[i], "probability": float(mean[i])} for i in order[:TOP]])
    if "embedding" in means:
        row["embedding"] = means["embedding"].astype(np.float32).tolist()
    if "multi" in means:
        multi_genres, multi = models.multi_sidecar["genres"], means["multi"]
        row["genres"] = [multi_genres[i] for i in np.argsort(multi, kind="stable")[::-1] if multi[i] >= models.threshold]
    return row


def run_batches(batches: Sequence[list], on_result: Callable[[BatchResult], None], client, *, model_file: str,
                multi_file: str | None, model: str, threads: int | None = None, hop_seconds: float | None = None) -> None:
    """Each batch through :func:`classify_batch`, here (``client`` None) or on the Dask cluster of ``client``, at most
    two batches per worker in flight; ``on_result`` gets each result as it arrives."""
    if client is None:
        for batch in batches:
            on_result(classify_batch(batch, model_file, multi_file, model, hop_seconds=hop_seconds))
        return
    from distributed import as_completed

    in_flight = 2 * max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    queue = iter(batches)

    def submit(batch):
        return client.submit(classify_batch, batch, model_file, multi_file, model, threads, hop_seconds, pure=False)

    running = as_completed([submit(b) for b in _take(queue, in_flight)])
    for future in running:
        on_result(future.result())
        future.release()
        for batch in _take(queue, 1):
            running.add(submit(batch))


def _take(iterator: Iterator, n: int) -> list:
    return [item for _, item in zip(range(n), iterator)]


@contextlib.contextmanager
def connect(workers: int | None, scheduler: str | None) -> Iterator:
    """A Dask client of a new ``LocalCluster`` (``workers`` processes, one thread each) or of a running scheduler;
    ``None`` (this process does the work) when neither is asked for."""
    if not workers and not scheduler:
        yield None
        return
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines would bury the progress bar
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise UserError(f"cannot reach the Dask scheduler at {scheduler} within {SCHEDULER_TIMEOUT_S} s ({reason}); "
                            f"start one with `dask scheduler` and give its tcp://HOST:PORT address") from None
        with client:
            if not client.scheduler_info(n_workers=-1)["workers"]:
                print(f"waiting up to {WORKER_WAIT_S} s for a worker to join {scheduler} ...", file=sys.stderr)
                try:
                    client.wait_for_workers(1, timeout=WORKER_WAIT_S)
                except TimeoutError:
                    raise UserError(f"the Dask scheduler at {scheduler} has no worker; start some with "
                                    f"`dask worker {scheduler} --nthreads 1` and run again") from None
            yield client
        return
    env = {"OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    # The worker processes start with Ctrl-C ignored (an ignored signal stays ignored in a child): Ctrl-C in a
    # terminal reaches the whole process group, and this client, not each worker, is what stops and says so.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    with cluster, Client(cluster) as client:
        yield client
