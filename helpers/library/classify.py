"""``classify``: walk a library, skip what the catalogue holds, classify the rest in batches, merge the parts."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import predict
from ..cli import UserError
from ..data import audio
from ..models import artifacts, pretrained_port
from ..models.artifacts import DEFAULT_MODEL, MULTI_MODEL
from ..runtime import progress
from . import engine
from .catalog import STATUSES, Catalog, Stat, file_hash, model_id, rows_table, same_content_rows

HASH_THREADS = 4  # files hashed at once (reading is I/O bound; hashlib releases the GIL)


@dataclass
class Plan:
    """What a run will do: the files to classify (with their stat and hash), those it copies from a catalogued file
    of the same content, and what it leaves alone."""

    todo: list[tuple[str, str, Stat, str | None]] = field(default_factory=list)
    same_content: list[dict] = field(default_factory=list)
    catalogued: int = 0
    gone: set[str] = field(default_factory=set)  # catalogued paths no longer under the library (their rows are dropped)
    unlisted: list[tuple[Path, str]] = field(default_factory=list)  # audio names that are no readable file
    not_audio: set[Path] = field(default_factory=set)  # other files

    @property
    def audio_files(self) -> int:
        return len(self.todo) + len(self.same_content) + self.catalogued


def resolve_models(model: str | None, multi_model: str | None, no_multi: bool) -> tuple[Path, Path | None]:
    """The single-genre and multi-genre model files (``helpers.predict.default_model`` when not named), checked
    without TensorFlow; a model trained on the synthetic set or the smoke profile is refused for a library."""
    files = [Path(model) if model else predict.default_model(name=DEFAULT_MODEL)]
    if not no_multi:
        files.append(Path(multi_model) if multi_model else predict.default_model(name=MULTI_MODEL))
    checked = []
    for file, wants_multi in zip(files, (False, True)):
        try:
            path, sidecar = artifacts.read_sidecar(file)
        except artifacts.ArtifactError as error:
            raise UserError(str(error)) from None
        if (predict.multi_label(sidecar) is not None) != wants_multi:
            raise UserError(f"{file} is a multi-genre model; --model takes a single-genre model (--multi-model the other)"
                            if not wants_multi else
                            f"{file} gives one genre per file; --multi-model takes a multi-genre model (or give --no-multi)")
        toy = artifacts.smoke_or_synthetic(path, sidecar)
        if toy:
            print(f"warning: {file} was {toy}: its predictions mean nothing for real music", file=sys.stderr)
        checked.append(path.absolute())
    return checked[0], (checked[1] if len(checked) > 1 else None)


def plan(library: Path, catalog: Catalog, model: str) -> Plan:
    """Walk ``library``: each audio file is catalogued (same path, size and modification time), a copy of a catalogued
    file (same content hash), or to classify."""
    result = Plan()
    known = catalog.read(["size", "mtime_ns", "sha256", "status"])  # the index only: no predictions, no embeddings
    by_path = {p: Stat(s, m) for p, s, m in zip(*(known.column(c).to_pylist() for c in ("path", "size", "mtime_ns")))}
    by_hash = {digest: path for path, digest, status in zip(*(known.column(c).to_pylist() for c in ("path", "sha256", "status")))
               if digest and status == "ok"}

    def wanted(path: Path) -> bool:
        if audio.is_audio_file(path):
            return True
        if path.is_file():
            result.not_audio.add(path)
        return False

    found, result.unlisted = audio.find_audio_files([library], wanted)
    files = []
    for file in found:
        try:
            str(file).encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 (old Latin-1 names): Parquet text must be UTF-8
            result.unlisted.append((file, "its name is not valid UTF-8; rename it (convmv converts whole trees)"))
            continue
        files.append(file)
    walked = {str(f.absolute()) for f in files}
    result.gone = {path for path in by_path if path not in walked}
    unhashed = []
    for file in files:
        path = str(file.absolute())
        stat = Stat.of(file)
        if by_path.get(path) == stat:
            result.catalogued += 1
        else:
            unhashed.append((path, os.path.relpath(path, library), stat))
    with ThreadPoolExecutor(HASH_THREADS) as pool:  # every new or changed file is read once here, for its hash
        hashes = list(progress(pool.map(_hash_or_none, [path for path, _, _ in unhashed]), total=len(unhashed),
                               desc="hash", unit="file", disable=None if unhashed else True))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    copies = []
    for (path, relpath, stat), digest in zip(unhashed, hashes):
        if digest in by_hash:
            copies.append(dict(path=path, relpath=relpath, size=stat.size, mtime_ns=stat.mtime_ns, sha256=digest,
                               classified_at=now))
        else:
            result.todo.append((path, relpath, stat, digest))
    if copies:  # the catalogued rows they copy, read in full
        rows = catalog.rows(by_hash[row["sha256"]] for row in copies)
        result.same_content = same_content_rows(copies, {digest: rows[path] for digest, path in by_hash.items()
                                                          if path in rows}, model)
    return result


def _hash_or_none(path: str) -> str | None:
    try:
        return file_hash(path)
    except OSError:  # the decode reports why it cannot be read
        return None


def classify_library(library: str | os.PathLike, catalog_path: str | os.PathLike, *, model: str | None = None,
                     multi_model: str | None = None, no_multi: bool = False, workers: int | None = None,
                     scheduler: str | None = None, batch_size: int = 16, dry_run: bool = False,
                     hop_seconds: float | None = None) -> dict:
    """Classify every audio file under ``library`` into the catalogue at ``catalog_path`` (resuming it); returns the
    run's counts. ``workers``: a Dask ``LocalCluster`` of that many processes; ``scheduler``: a running cluster's
    address (``tcp://host:8786``); neither: this process. ``hop_seconds``: windows every so many seconds instead of
    the model's hop (fewer network passes; part of the catalogue's model id, since the predictions change)."""
    given = Path(library)
    library = Path(os.path.realpath(given))  # one library, one name: links and .. resolved
    if not library.is_dir():
        raise UserError(f"no library folder at {given}" if not library.exists() else
                        f"{given} is a file; give the folder that holds the music")
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers} is not allowed: give 1 or more")
    catalog = Catalog(catalog_path)
    model_file, multi_file = resolve_models(model, multi_model, no_multi)
    hop_seconds = check_hop(model_file, hop_seconds)
    models_id, library_text = model_id([f for f in (model_file, multi_file) if f], hop_seconds), str(library)
    catalog.check(models_id, library_text)
    # a dry run writes nothing (not even the lock) and starts no cluster
    lock = contextlib.nullcontext() if dry_run else catalog.locked()
    with lock, engine.connect(None if dry_run else workers, None if dry_run else scheduler) as client:
        work = plan(library, catalog, models_id)
        if not work.audio_files:
            raise UserError(f"no audio files ({', '.join(audio.SUPPORTED_EXTENSIONS)}) under {given}"
                            + (f"; {len(work.not_audio)} other files ({_suffixes(work.not_audio)})" if work.not_audio else ""))
        print(f"{work.audio_files} audio files under {library}: {work.catalogued} in the catalogue already, "
              f"{len(work.same_content)} with the content of a catalogued file, {len(work.todo)} to classify"
              + (f"; {len(work.not_audio)} other files left out ({_suffixes(work.not_audio)})" if work.not_audio else ""))
        if work.gone:
            print(f"{len(work.gone)} catalogued files are no longer under {library}: their rows "
                  + ("would be dropped" if dry_run else "are dropped"))
        for path, reason in work.unlisted:  # a name of undecodable bytes is shown with escapes, never a crash
            shown = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
            print(f"skipped: {shown}: {reason}", file=sys.stderr)
        counts = {"files": work.audio_files, "catalogued": work.catalogued, "same_content": len(work.same_content),
                  "classified": 0, **dict.fromkeys(STATUSES, 0)}
        if dry_run:
            print("dry run: nothing classified, nothing written")
            return counts
        if work.same_content:
            catalog.write_part(rows_table(work.same_content), model=models_id, library=library_text)
        counts.update(_run(work, catalog, client, model_file, multi_file, models_id, library_text, batch_size,
                           threads=1 if workers else None, hop_seconds=hop_seconds))
    return counts


def check_hop(model_file: Path, hop_seconds: float | None) -> float | None:
    """The hop to run at instead of the model's own: ``None`` when not given or equal to the model's. Only for models
    on musicnn's windows, and at least one mel frame."""
    if hop_seconds is None:
        return None
    prep = artifacts.read_sidecar(model_file)[1]["preprocessing"]
    if prep["input"] != "musicnn-mel":
        raise UserError(f"--hop-seconds applies to models on musicnn's windows; {model_file} reads {prep['input']}")
    try:
        pretrained_port.hop_frames(hop_seconds)
    except ValueError as error:
        raise UserError(f"--hop-seconds {hop_seconds:g}: {error}") from None
    return None if hop_seconds == float(prep["hop_seconds"]) else hop_seconds


def _run(work: Plan, catalog: Catalog, client, model_file: Path, multi_file: Path | None, models_id: str,
         library_text: str, batch_size: int, threads: int | None, hop_seconds: float | None = None) -> dict:
    """The batches of ``work.todo`` through the engine, each result written as a part at once; the parts merged at the
    end or at an interruption (Ctrl-C keeps every finished batch)."""
    counts = {"classified": 0, **dict.fromkeys(STATUSES, 0)}
    seconds = dict.fromkeys(engine.STAGES, 0.0)
    batches = [work.todo[i:i + batch_size] for i in range(0, len(work.todo), batch_size)]
    start = time.perf_counter()
    bar = progress(total=len(work.todo), desc="classify", unit="file", disable=None if work.todo else True)

    def write(result: engine.BatchResult) -> None:
        catalog.write_part(rows_table(result.rows), model=models_id, library=library_text)
        for row in result.rows:
            counts[row["status"]] += 1
        for stage, value in result.seconds.items():
            seconds[stage] += value
        counts["classified"] += len(result.rows)
        bar.update(len(result.rows))

    try:
        engine.run_batches(batches, write, client, model_file=str(model_file),
                           multi_file=str(multi_file) if multi_file else None, model=models_id, threads=threads,
                           hop_seconds=hop_seconds)
    finally:
        bar.close()
        rows = catalog.merge(model=models_id, library=library_text, drop=work.gone)
    elapsed = time.perf_counter() - start
    rate = counts["classified"] / elapsed if elapsed > 0 and counts["classified"] else 0.0
    print(f"classified {counts['classified']} files in {elapsed:.1f} s ({rate:.2f} files/s): {counts['ok']} ok, "
          f"{counts['unreadable']} unreadable; catalogue {catalog.path} holds {rows} rows")
    return {**counts, "seconds": {k: round(v, 3) for k, v in seconds.items()}, "elapsed": elapsed, "rows": rows}


def _suffixes(paths: set[Path]) -> str:
    counter = Counter(p.suffix.lower() or "(no suffix)" for p in paths)
    return ", ".join(f"{suffix} {n}" for suffix, n in counter.most_common(5)) + (", ..." if len(counter) > 5 else "")


def read_rows(catalog_path: str | os.PathLike):
    """The catalogue's rows as a DataFrame and its metadata (``UserError`` when there is none)."""
    catalog = Catalog(catalog_path)
    if not catalog.exists:
        raise UserError(f"no catalogue at {catalog_path}: make one with "
                        f"python -m helpers.library classify LIBRARY --catalog {catalog_path}")
    return catalog.read().to_pandas(), catalog.metadata()
