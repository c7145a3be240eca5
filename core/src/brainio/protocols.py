"""The callables plugins hand to the core, as :class:`typing.Protocol`\\ s.

The hooks in :mod:`brainio.hookspecs` *choose* an implementation (return one of these, or
``None`` to decline); the core then calls it. A plugin function or callable object matches a
protocol by its signature alone, so a type checker catches a fetcher that takes the wrong
arguments or an uploader without ``overwrite=``. Nothing here is imported at run time by a
plugin that does not want it: import the protocols under ``TYPE_CHECKING``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from brainio.assemblies import DataAssembly
    from brainio.records import LookupRow, Source, StoredObject
    from brainio.stimuli import StimulusSet

__all__ = [
    "AssemblyLoader",
    "Fetcher",
    "Opener",
    "ReadableFile",
    "StimulusSetLoader",
    "Uploader",
]


class Fetcher(Protocol):
    """``fetch(source, destination)``: write the whole file at ``source`` to ``destination``.

    ``destination`` is a temporary path inside the cache folder that the core owns: the core
    verifies the sha1 afterwards and renames the file into place, so a fetcher only transfers
    bytes. It raises :class:`brainio.errors.FetchError` (or a subclass) when it cannot.

    ``destination`` may already hold the first bytes of an interrupted download of the same file
    (the core keeps them after Ctrl-C or a failed transfer). A fetcher that can resume appends the
    rest, after checking that the stored object did not change since (it may keep a note in
    :func:`brainio.cache.partial_info_path`); any other fetcher simply overwrites it.

    It may return the sha1 of what it wrote, computed while writing
    (:class:`brainio.hashing.HashingWriter`), which spares the core a second pass over the
    file; otherwise ``None``.
    """

    def __call__(self, source: Source, destination: Path, /) -> str | None: ...


class ReadableFile(Protocol):
    """What an :class:`Opener` returns: a binary file object that reads and seeks."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...

    def close(self) -> None: ...


class Opener(Protocol):
    """``open(source)``: the file at ``source`` as a readable, seekable binary file object.

    Used for ``get_assembly(..., lazy=True)``: the file is read in place, only the bytes a
    selection needs. Nothing is verified by sha1 (that needs every byte); an opener pins
    ``source.version_id`` when there is one and raises :class:`brainio.errors.FetchError`
    (or a subclass) when the file cannot be opened.
    """

    def __call__(self, source: Source, /) -> ReadableFile: ...


class Uploader(Protocol):
    """``upload(local_path, key, *, overwrite=False)``: store a file and say where it went.

    Refuses (with :class:`brainio.errors.PackagingError` or a subclass) to replace an object
    already stored under ``key`` unless ``overwrite`` is true.
    """

    def __call__(
        self, local_path: Path, key: str, /, *, overwrite: bool = False
    ) -> StoredObject: ...


class AssemblyLoader(Protocol):
    """``load(path, *, cls, row, stimulus_set, chunks)``: the assembly in the fetched file.

    ``path`` is the verified file in the cache (for ``get_assembly(..., lazy=True)``, the
    file object an :class:`Opener` returned: pass it on to xarray as it is); ``cls`` the class
    the row names; ``stimulus_set`` the row's stimulus set, already loaded, or ``None``;
    ``chunks`` the dask chunks asked for (``None``: values stay on disk until used).
    """

    def __call__(
        self,
        path: Path,
        /,
        *,
        cls: type[DataAssembly],
        row: LookupRow,
        stimulus_set: StimulusSet | None,
        chunks: Mapping[str, int] | str | None,
    ) -> DataAssembly: ...


class StimulusSetLoader(Protocol):
    """``load(csv_path, stimuli_dir, *, cls, row)``: the stimulus set of the fetched CSV.

    ``stimuli_dir`` is the extracted ZIP folder, or ``None`` when the set has no ZIP row.
    """

    def __call__(
        self,
        csv_path: Path,
        stimuli_dir: Path | None,
        /,
        *,
        cls: type[StimulusSet],
        row: LookupRow,
    ) -> StimulusSet: ...
