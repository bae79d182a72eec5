"""Reading HEP event data from ROOT files.

Thin, error-friendly wrappers around :mod:`uproot` for reading TTree branches
and expressions, keeping one candidate row per event, and computing invariant
masses with scikit-hep :mod:`vector`.

The bundled example file ``data/uproot-Zmumu.root`` (CMS 2010 Z->mumu
candidates, see ``data/README.md``) stores each event several times; use
:func:`unique_events` (or :func:`zmumu_masses`, which does it for you) before
histogramming.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot
import vector

__all__ = [
    "ZMUMU_FILE",
    "data_dir",
    "data_file",
    "four_momentum",
    "invariant_mass",
    "read_tree",
    "unique_events",
    "zmumu_masses",
]

ZMUMU_FILE = "uproot-Zmumu.root"
"""File name of the bundled CMS 2010 Z->mumu sample inside :func:`data_dir`."""

_LIBRARIES = ("np", "ak")
_LISTING_LIMIT = 40
_FOUR_MOMENTUM_COMPONENTS = ("px", "py", "pz", "E")


def _listing(names: Iterable[str]) -> str:
    """Comma-separated names, truncated after ``_LISTING_LIMIT`` entries."""
    names = list(names)
    shown = ", ".join(names[:_LISTING_LIMIT])
    hidden = len(names) - _LISTING_LIMIT
    return f"{shown}, ... ({hidden} more)" if hidden > 0 else shown or "(none)"


def data_dir() -> Path:
    """Return the repository's ``data/`` directory.

    The directory is located relative to this package file
    (``<repo>/svenfit/hep/io.py`` -> ``<repo>/data``), so it is found in a source
    checkout or an editable install, whatever the working directory.

    Returns
    -------
    pathlib.Path
        The directory path; it is not checked to exist (see :func:`data_file`).
    """
    return Path(__file__).resolve().parents[2] / "data"


def data_file(name: str = ZMUMU_FILE) -> Path:
    """Return the path of a bundled data file, checking that it exists.

    Parameters
    ----------
    name
        File name inside :func:`data_dir`.

    Returns
    -------
    pathlib.Path
        Absolute path of the existing file.

    Raises
    ------
    FileNotFoundError
        If the file is absent, e.g. because svenfit was installed without the
        repository's ``data/`` directory. The message says where it looked and
        how to proceed.
    """
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled data file {name!r} not found at {path}. svenfit looks for it in "
            "the repository's data/ directory, which a non-editable install does not "
            "contain: install from a source checkout with `pip install -e .`, or pass "
            "the file's path explicitly (data/README.md explains how to recreate it)."
        )
    return path


def _require_root_file(path: Path) -> None:
    """Raise FileNotFoundError naming ``path`` and the ROOT files next to it."""
    if path.is_file():
        return
    folder = path.parent
    if folder.is_dir():
        present = _listing(sorted(p.name for p in folder.glob("*.root")))
        where = f"ROOT files in {folder}: {present}"
    else:
        where = f"directory {folder} does not exist"
    raise FileNotFoundError(f"no such ROOT file: {path} ({where})")


def _contents(file: uproot.ReadOnlyDirectory) -> str:
    """Describe a file's keys with their classnames."""
    keys = _listing(f"{key} ({classname})" for key, classname in file.classnames().items())
    return f"keys in the file: {keys}"


def _open_tree(file: uproot.ReadOnlyDirectory, tree: str, path: Path) -> uproot.TTree:
    """Return TTree ``tree`` of an open file, or raise listing the file's keys."""
    try:
        obj = file[tree]
    except uproot.KeyInFileError:
        raise KeyError(f"no tree {tree!r} in {path}; {_contents(file)}") from None
    if not isinstance(obj, uproot.TTree):
        raise TypeError(f"{tree!r} in {path} is a {obj.classname}, not a TTree; {_contents(file)}")
    return obj


def read_tree(
    path: str | Path,
    tree: str,
    expressions: str | Sequence[str],
    cut: str | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    library: str = "np",
) -> dict[str, Any]:
    """Read branches or expressions of a ROOT TTree, optionally applying a cut.

    Expressions, cuts and aliases use uproot's own expression language
    (Python syntax over branch names, with NumPy functions such as ``sqrt``),
    exactly as in :meth:`uproot.TTree.arrays`.

    Parameters
    ----------
    path
        ROOT file to open.
    tree
        Name of the TTree inside the file (may include a directory, ``"dir/t"``).
    expressions
        A branch name or expression, or a sequence of them, e.g.
        ``["M", "px1 + px2"]``.
    cut
        Boolean expression selecting entries, e.g. ``"(M > 60) & (M < 120)"``.
    aliases
        Extra names usable in ``expressions`` and ``cut``, mapping to expressions.
    library
        ``"np"`` for NumPy arrays, ``"ak"`` for Awkward Arrays.

    Returns
    -------
    dict
        Maps each requested expression string to its array of selected entries.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file; lists the ROOT files in its directory.
    KeyError
        If ``tree`` is not in the file (lists its keys and classnames), or an
        expression, cut or alias refers to an unknown name (lists the branches).
    TypeError
        If ``tree`` names an object that is not a TTree.
    ValueError
        If ``library`` is unknown, no expression is requested, or ``cut``
        selects no entry (the message gives the entries before the cut).
    """
    if library not in _LIBRARIES:
        raise ValueError(f"library must be one of {_LIBRARIES}, got {library!r}")
    requested = [expressions] if isinstance(expressions, str) else list(expressions)
    if not requested:
        raise ValueError("no expressions requested")
    path = Path(path)
    _require_root_file(path)
    with uproot.open(path) as file:
        ttree = _open_tree(file, tree, path)
        try:
            arrays = ttree.arrays(requested, cut=cut, aliases=aliases, library=library)
        except uproot.KeyInFileError as err:
            known = ", ".join(aliases) if aliases else "(none)"
            raise KeyError(
                f"unknown name {err.key!r} in expressions {requested} or cut {cut!r} "
                f"for tree {tree!r} in {path}; branches: {_listing(ttree.keys())}; "
                f"aliases: {known}"
            ) from None
        entries = ttree.num_entries
    if library == "ak":
        arrays = {name: arrays[name] for name in arrays.fields}
    if cut is not None and len(arrays[requested[0]]) == 0:
        raise ValueError(
            f"cut {cut!r} selects no entries of tree {tree!r} in {path} "
            f"({entries} entries before the cut)"
        )
    return arrays


def _column_length(arrays: Mapping[str, Any]) -> int:
    """Common length of all columns, or ValueError listing the lengths."""
    lengths = {name: len(column) for name, column in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns have different lengths: {lengths}")
    return next(iter(lengths.values()), 0)


def _column(arrays: Mapping[str, Any], name: str) -> Any:
    """Column ``name``, or KeyError listing the available columns."""
    if name not in arrays:
        raise KeyError(f"no column {name!r}; available columns: {_listing(arrays)}")
    return arrays[name]


def _preference_rank(values: np.ndarray, order: Sequence[Any], column: str) -> np.ndarray:
    """Position of each value in ``order``; ValueError if a value is not listed."""
    distinct, inverse = np.unique(values, return_inverse=True)
    position = {value: rank for rank, value in enumerate(order)}
    distinct = distinct.tolist()
    unlisted = [value for value in distinct if value not in position]
    if unlisted:
        raise ValueError(
            f"column {column!r} has values {unlisted} missing from the preference "
            f"order {list(order)}"
        )
    return np.array([position[value] for value in distinct], dtype=np.int64)[inverse]


def unique_events(
    arrays: Mapping[str, Any],
    keys: Sequence[str] = ("Run", "Event"),
    prefer: tuple[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """Keep one row per event, chosen by a preference order on a column.

    Rows sharing the same values of all ``keys`` columns belong to one event.
    Within an event the row whose ``prefer`` column value comes earliest in the
    preference order is kept; remaining ties go to the earliest row. The
    choice therefore depends only on the data, never on hashing or sort
    stability.

    Parameters
    ----------
    arrays
        Equal-length 1-D columns (NumPy or flat Awkward arrays), e.g. the output
        of :func:`read_tree`.
    keys
        Columns that together identify an event.
    prefer
        ``(column, order)``: e.g. ``("Type", ["GG", "GT", "TT"])`` keeps the
        global-global muon pair when there is one. ``None`` keeps the first row.

    Returns
    -------
    dict
        Same columns, restricted to the selected rows, in their original order.

    Raises
    ------
    KeyError
        If a key or preference column is missing (lists available columns).
    ValueError
        If ``keys`` is empty, columns differ in length, or the preference column
        holds a value absent from the order.
    """
    if not keys:
        raise ValueError("at least one key column is required")
    n_rows = _column_length(arrays)
    key_values = [np.asarray(_column(arrays, key)) for key in keys]
    if prefer is None:
        rank = np.zeros(n_rows, dtype=np.int64)
    else:
        column, order = prefer
        rank = _preference_rank(np.asarray(_column(arrays, column)), order, column)
    # lexsort's last key is the primary one: group by event, then rank, then row.
    ordering = np.lexsort([np.arange(n_rows), rank, *reversed(key_values)])
    new_event = np.zeros(n_rows, dtype=bool)
    new_event[:1] = True
    for values in key_values:
        sorted_values = values[ordering]
        new_event[1:] |= sorted_values[1:] != sorted_values[:-1]
    rows = np.sort(ordering[new_event])
    return {name: column[rows] for name, column in arrays.items()}


def four_momentum(arrays: Mapping[str, Any], leg: str) -> Any:
    """Build :mod:`vector` four-momenta from columns ``px<leg>``, ..., ``E<leg>``.

    Parameters
    ----------
    arrays
        Columns including ``px<leg>``, ``py<leg>``, ``pz<leg>`` and ``E<leg>``.
    leg
        Column-name suffix of the particle, e.g. ``"1"`` for ``px1``, ``E1``.

    Returns
    -------
    vector.MomentumNumpy4D or awkward.Array
        NumPy-backed vectors for NumPy columns, Awkward Momentum4D records for
        Awkward columns.

    Raises
    ------
    KeyError
        If a component column is missing (lists available columns).
    """
    components = {name: _column(arrays, f"{name}{leg}") for name in _FOUR_MOMENTUM_COMPONENTS}
    if any(isinstance(values, ak.Array) for values in components.values()):
        return vector.zip(components)
    return vector.array({name: np.asarray(values) for name, values in components.items()})


def invariant_mass(arrays: Mapping[str, Any], legs: Sequence[str] = ("1", "2")) -> Any:
    """Invariant mass of the sum of the four-momenta of several particles.

    Parameters
    ----------
    arrays
        Columns ``px<leg>``, ``py<leg>``, ``pz<leg>``, ``E<leg>`` for each leg.
    legs
        Column-name suffixes of the particles to combine (at least one).

    Returns
    -------
    numpy.ndarray or awkward.Array
        ``sqrt(E**2 - |p|**2)`` of the summed momentum, entry by entry.

    Raises
    ------
    KeyError
        If a component column is missing.
    ValueError
        If ``legs`` is empty.
    """
    if not legs:
        raise ValueError("at least one leg is required")
    total = four_momentum(arrays, legs[0])
    for leg in legs[1:]:
        total = total + four_momentum(arrays, leg)
    return total.mass


def zmumu_masses(
    path: str | Path | None = None,
    *,
    cut: str | None = None,
    prefer: Sequence[str] = ("GG", "GT", "TT"),
) -> np.ndarray:
    """Dimuon invariant mass, one value per event, from the Z->mumu sample.

    Reads tree ``events``, keeps one muon pair per (Run, Event) with
    :func:`unique_events`, preferring muon reconstruction types in the order
    ``prefer`` (global-global first by default), and computes the pair mass
    with :func:`invariant_mass`.

    Parameters
    ----------
    path
        ROOT file; defaults to the bundled ``data/uproot-Zmumu.root``.
    cut
        Optional selection applied to candidate pairs *before* choosing one per
        event, e.g. ``"Q1 * Q2 < 0"`` for opposite-charge pairs.
    prefer
        Preference order of the ``Type`` column (all its values must be listed).

    Returns
    -------
    numpy.ndarray
        float64 masses in GeV, one per event (500 for the bundled file), in
        file order.

    Raises
    ------
    FileNotFoundError
        If the file (or, by default, the bundled data) is missing.
    ValueError
        If ``cut`` selects nothing, or ``Type`` has a value not in ``prefer``.
    """
    columns = ["Run", "Event", "Type"] + [
        f"{name}{leg}" for leg in ("1", "2") for name in _FOUR_MOMENTUM_COMPONENTS
    ]
    rows = read_tree(data_file() if path is None else path, "events", columns, cut)
    events = unique_events(rows, keys=("Run", "Event"), prefer=("Type", prefer))
    return np.asarray(invariant_mass(events), dtype=np.float64)
