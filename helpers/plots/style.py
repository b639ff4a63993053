"""The look shared by every figure of :mod:`helpers.plots`: font sizes, title wrapping, axis ranges, saving.

Every figure function runs under :func:`styled`, so rendered notebooks get the same
readable sizes (tick labels 10 pt, titles 12 pt) whatever the notebook's own matplotlib
settings are, without changing them.
"""

from __future__ import annotations

import functools
import numbers
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

GENRE_PALETTE = "tab10"
DPI = 90  # saved figures
TICK_PT, LABEL_PT, TITLE_PT, SUPTITLE_PT = 10.0, 10.5, 12.0, 13.0
STYLE = {
    "figure.dpi": 80,  # inline figures: keeps rendered notebooks small
    "font.size": 10.0,
    "axes.titlesize": TITLE_PT,
    "axes.labelsize": LABEL_PT,
    "xtick.labelsize": TICK_PT,
    "ytick.labelsize": TICK_PT,
    "legend.fontsize": 9.5,
    "legend.title_fontsize": 9.5,
    "figure.titlesize": SUPTITLE_PT,
}
CHAR_EM = 0.58  # mean glyph width of the default font (DejaVu Sans), in units of its size


def styled(function: Callable) -> Callable:
    """Run a figure function under :data:`STYLE`; the notebook's own values of those settings come back after.

    Only the :data:`STYLE` keys are saved and restored: ``plt.rc_context`` would also restore
    ``interactive``, which IPython's inline backend switches on while the first figure of a session
    is made, and no later figure would be shown.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        before = {key: matplotlib.rcParams[key] for key in STYLE}
        matplotlib.rcParams.update(STYLE)
        try:
            fig = function(*args, **kwargs)
            # Tick labels are made when the figure is drawn, after this function: fix their size now.
            for ax in fig.axes:
                ax.tick_params(axis="both", which="major", labelsize=TICK_PT)
            return fig
        finally:
            matplotlib.rcParams.update(before)

    return wrapper


def wrap(text: str, width_inches: float, size_pt: float = TITLE_PT) -> str:
    """``text`` broken into lines that fit ``width_inches`` at ``size_pt`` (existing line breaks kept)."""
    columns = max(20, int(width_inches * 72 / (CHAR_EM * size_pt)))
    return "\n".join(textwrap.fill(line, columns, break_on_hyphens=False) or line for line in str(text).split("\n"))


def set_title(ax: plt.Axes, text: str, size_pt: float = TITLE_PT) -> None:
    """An axes title wrapped to the figure's width, so a long one cannot run off the saved image."""
    ax.set_title(wrap(text, 0.95 * ax.figure.get_figwidth(), size_pt), fontsize=size_pt)


def set_suptitle(fig: matplotlib.figure.Figure, text: str, size_pt: float = SUPTITLE_PT) -> None:
    """A figure title wrapped to the figure's width."""
    fig.suptitle(wrap(text, 0.95 * fig.get_figwidth(), size_pt), fontsize=size_pt)


def data_limits(values: Iterable[float], margin: float = 0.15, floor: float = 0.0, ceiling: float = 1.0,
                min_span: float = 0.05) -> tuple[float, float]:
    """Axis limits around ``values`` (NaN ignored) with ``margin`` of their spread on each side, kept inside
    ``[floor, ceiling]``: for scores drawn as points or lines, where a 0-1 axis would flatten the differences."""
    finite = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if finite.size == 0:
        return floor, ceiling
    low, high = float(finite.min()), float(finite.max())
    pad = max(margin * (high - low), (min_span - (high - low)) / 2, 0.0)
    return max(floor, low - pad), min(ceiling, high + pad)


def save(fig: matplotlib.figure.Figure, folder: str | Path, name: str) -> None:
    """Save ``fig`` as ``folder/name.png`` (compact, so rendered notebooks stay small).

    Returns nothing on purpose: a notebook cell ending in this call would otherwise echo
    the file's absolute path, which means nothing on another machine.
    """
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")


def _words(value) -> str:
    if isinstance(value, dict):
        return f"({format_params(value)})"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "-".join(_words(v) for v in value)
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value).lower()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):g}"
    return str(value)


def format_params(params: dict) -> str:
    """Hyperparameters in words for titles and labels: ``{"filters": (32, 64, 128), "dropout": 0.25,
    "learning_rate": 0.001}`` -> ``"filters 32-64-128, dropout 0.25, learning rate 0.001"``."""
    if not params:
        return "default settings"
    return ", ".join(f"{str(key).replace('_', ' ')} {_words(value)}" for key, value in params.items())


def tick_label(name: str, width: int = 16) -> str:
    """A long run name on short lines under its bar (each `` · ``-separated part on its own lines), so that
    neighbouring labels never overlap however many bars there are."""
    return "\n".join(textwrap.fill(part, width) for part in name.split(" · "))


def protocol_label(protocol: str, records: Sequence[dict]) -> str:
    """A protocol's legend entry with its test size: ``fault-filtered (290 test clips)``, or the range of sizes where
    the protocol's runs differ (``118-290 test clips``)."""
    sizes = sorted({int(r["sizes"]["test"]) for r in records if r["protocol"] == protocol and "sizes" in r})
    if not sizes:
        return protocol
    return f"{protocol} ({sizes[0]} test clips)" if len(sizes) == 1 else f"{protocol} ({sizes[0]}-{sizes[-1]} test clips)"
