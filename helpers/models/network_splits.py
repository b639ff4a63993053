"""Network protocols decided per track, and what makes comparisons between them honest.

Protocols (segments follow their track):

``random-70/10/20``  the main seed's 80/20 with a tenth held out of training for validation;
``random-50/20/30``  the 3-s-segment report's split;
``fault-filtered``, ``official``  the dataset's fixed split (GTZAN's artist-conditional
                     lists, FMA's official split), read from the ``fixed_split`` column.

Honest comparisons: :func:`majority_baselines` is the floor of each protocol (always the
most frequent training genre), and :func:`subsample_training` cuts a protocol's training
tracks to the size of another's (the random split at :func:`fixed_train_size`), so that a
gap between protocols is not a gap in training data; records name such a control
``<protocol>@<n>``. Kept apart from ``helpers.models.networks`` so that none of this imports
TensorFlow; ``helpers.models.networks`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import splits
from ..results import evaluate
from .training import BASELINE_MODEL, FIXED_PROTOCOLS, EmptySplitError, encode_labels, fixed_protocol_split

# Train / valid / test fractions of the random protocols; None: the dataset's fixed split.
NETWORK_PROTOCOLS: dict[str, tuple[float, float, float] | None] = {
    "random-70/10/20": (0.7, 0.1, 0.2),
    "random-50/20/30": (0.5, 0.2, 0.3),
    **{protocol: None for protocol in FIXED_PROTOCOLS},
}


def network_split(tracks: pd.DataFrame, protocol: str, seed: int = 42) -> pd.Series:
    """``train``/``valid``/``test`` per track row (``""``: in no part) for a network protocol.

    A fixed protocol reads the ``fixed_split`` column (see ``training.fixed_protocol_split``).
    """
    if protocol not in NETWORK_PROTOCOLS:
        hint = "; an @<n> suffix is how records name an equal-size control: pass train_size=n instead" if "@" in str(protocol) else ""
        raise ValueError(f"unknown network protocol {protocol!r}; valid: {', '.join(NETWORK_PROTOCOLS)}{hint}")
    if NETWORK_PROTOCOLS[protocol] is None:
        return fixed_protocol_split(tracks, protocol)
    return splits.random_split(tracks, NETWORK_PROTOCOLS[protocol], seed=seed)


def row_split(table: pd.DataFrame, protocol: str, seed: int = 42) -> pd.Series:
    """Each row's part under a network protocol, decided per track (segments follow their track; ``""``: no part)."""
    columns = ["track_id", "genre"] + (["fixed_split"] if "fixed_split" in table.columns else [])
    tracks = table.drop_duplicates("track_id")[columns].reset_index(drop=True)
    per_track = network_split(tracks, protocol, seed=seed)
    return table["track_id"].map(dict(zip(tracks["track_id"], per_track))).fillna("").rename("split")


def split_parts(frame: pd.DataFrame, protocol: str) -> dict[str, np.ndarray]:
    """Row masks of the ``train``/``valid``/``test`` parts; :class:`EmptySplitError` when one is empty."""
    parts = {part: (frame["split"] == part).to_numpy() for part in ("train", "valid", "test")}
    for part, mask in parts.items():
        if not mask.any():
            raise EmptySplitError(f"the {protocol} split leaves no {part} clips among the {frame['track_id'].nunique()} used")
    return parts


def subsample_training(frame: pd.DataFrame, train_size: int, protocol: str, seed: int) -> tuple[np.ndarray, int]:
    """``frame``'s split with the training tracks cut to ``train_size`` (stratified; their segments follow) and
    the original number of training tracks."""
    train = frame["split"] == "train"
    tracks = frame.loc[train].drop_duplicates("track_id")
    try:
        keep = splits.stratified_subsample(tracks.reset_index(drop=True), train_size, seed=seed).to_numpy()
    except ValueError as error:
        raise ValueError(f"{protocol}: {error}") from None
    dropped = train & ~frame["track_id"].isin(set(tracks["track_id"].to_numpy()[keep]))
    return frame["split"].mask(dropped, "").to_numpy(), len(tracks)


def clip_genres(frame: pd.DataFrame, mask: np.ndarray) -> list[str]:
    """The genre of every clip (not segment) of a part."""
    return frame.loc[mask].drop_duplicates("track_id")["genre"].tolist()


def majority_baselines(
    table: pd.DataFrame, protocols: Sequence[str], *, experiment: str, dataset: str, representation: str, seed: int = 42,
    resamples: int = 1000, results_dir=None, profile: str | None = None, train_size: int | None = None,
) -> dict[str, dict]:
    """Per protocol, the record of always predicting the most frequent training genre (per clip; ties: alphabetical).

    The same splits as ``networks.run_network_protocols`` (and the same skips, with a
    message); model ``training.BASELINE_MODEL``, ``extra["baseline"] = True``. Saves
    each record under ``results_dir`` when given; returns ``{protocol: record}``.
    """
    _, labels = encode_labels(table["genre"])  # every genre of the table, as run_network scores them
    records = {}
    for protocol in protocols:
        try:
            frame = table[["track_id", "genre"]].assign(split=row_split(table, protocol, seed=seed).to_numpy())
            parts = split_parts(frame, protocol)
        except EmptySplitError as error:
            print(f"skipped the majority-class baseline under {protocol}: {error}")
            continue
        subsampled = {}
        if train_size is not None:
            frame["split"], subsampled["subsampled_from"] = subsample_training(frame, train_size, protocol, seed)
            protocol = f"{protocol}@{train_size}"
            parts = split_parts(frame, protocol)
        train_genres = clip_genres(frame, parts["train"])
        counts = pd.Series(train_genres).value_counts()
        majority = min(counts.index[counts == counts.max()])
        truth = frame.loc[parts["test"]].drop_duplicates("track_id")["genre"].to_numpy()
        sizes = {part: int(frame.loc[mask, "track_id"].nunique()) for part, mask in parts.items()}
        records[protocol] = evaluate.evaluate(
            truth, np.full(len(truth), majority, dtype=object), labels, experiment=experiment, model=BASELINE_MODEL,
            dataset=dataset, protocol=protocol, representation=representation, sizes=sizes, train_seconds=0.0,
            params={"rule": "most frequent training genre"}, resamples=resamples, seed=seed,
            extra={"baseline": True, "majority_genre": majority, "unit": "clip", **subsampled},
            train_genres=train_genres, valid_genres=clip_genres(frame, parts["valid"]),
        )
        if results_dir is not None:
            evaluate.save(records[protocol], results_dir, profile=profile)
    return records


def fixed_train_size(table: pd.DataFrame, protocol: str) -> int | None:
    """How many tracks ``networks.run_network`` trains on under the fixed ``protocol`` (its train part only:
    networks stop early on valid); ``None`` when the protocol cannot run on this table (no fixed split, or a
    part of it empty). The ``train_size`` of the random split at equal training size."""
    if protocol not in FIXED_PROTOCOLS:
        raise ValueError(f"{protocol!r} is not a fixed protocol; fixed protocols: {', '.join(FIXED_PROTOCOLS)}")
    if "fixed_split" not in table.columns or not table["fixed_split"].isin(("train", "test")).any():
        return None
    try:
        parts = split_parts(table[["track_id"]].assign(split=row_split(table, protocol).to_numpy()), protocol)
    except EmptySplitError:
        return None
    return int(table.loc[parts["train"], "track_id"].nunique())
