"""Plain, frozen records passed between the core and plugins.

Plugins receive and return these instead of pandas rows, so the contract in
:mod:`brainio.hookspecs` does not depend on how a catalog is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

TYPE_ASSEMBLY = "assembly"
TYPE_STIMULUS_SET = "stimulus_set"


def _optional_str(value: object) -> str | None:
    """Empty cells of a catalog (``""``, NaN, ``None``) all mean "no value"."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    text = str(value).strip()
    return text or None


@attrs.frozen
class Source:
    """Where one file lives and what it must hash to.

    ``sha1`` is ``None`` only for files fetched outside a catalog without a known hash.
    ``base_dir`` is the folder relative locations are resolved against (the catalog's folder).
    """

    location_type: str
    location: str
    sha1: str | None = attrs.field(default=None, converter=_optional_str)
    version_id: str | None = attrs.field(default=None, converter=_optional_str)
    base_dir: Path | None = None

    @property
    def filename(self) -> str:
        """The file name at the end of the location (used as the name inside the cache)."""
        name = self.location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        return name or "file"


@attrs.frozen
class LookupRow:
    """One row of a catalog: a CSV or ZIP file of a stimulus set, or an assembly file."""

    identifier: str
    lookup_type: str
    class_name: str | None = attrs.field(converter=_optional_str)
    location_type: str
    location: str
    sha1: str | None = attrs.field(converter=_optional_str)
    stimulus_set_identifier: str | None = attrs.field(default=None, converter=_optional_str)
    catalog: str | None = None
    catalog_path: Path | None = None
    line: int | None = None
    extra: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def version_id(self) -> str | None:
        return _optional_str(self.extra.get("version_id"))

    @property
    def is_csv(self) -> bool:
        return self.lookup_type == TYPE_STIMULUS_SET and self.class_name is not None

    @property
    def is_zip(self) -> bool:
        return self.lookup_type == TYPE_STIMULUS_SET and self.class_name is None

    @property
    def source(self) -> Source:
        base_dir = self.catalog_path.parent if self.catalog_path is not None else None
        return Source(
            location_type=self.location_type,
            location=self.location,
            sha1=self.sha1,
            version_id=self.version_id,
            base_dir=base_dir,
        )

    def __getitem__(self, column: str) -> object:
        """Read the row like the pandas row BrainIO 1.x returned: ``row["location"]``."""
        if column == "class":
            return self.class_name
        if column in _ROW_FIELDS:
            return getattr(self, column)
        if column in self.extra:
            return self.extra[column]
        raise KeyError(column)

    def where(self) -> str:
        """Human-readable origin of this row, for error messages."""
        place = f"catalog '{self.catalog}'" if self.catalog else "a catalog"
        if self.catalog_path is not None:
            place += f" ({self.catalog_path}"
            place += f", line {self.line})" if self.line is not None else ")"
        return place


_ROW_FIELDS = {field.name for field in attrs.fields(LookupRow)}


@attrs.frozen
class StoredObject:
    """What an uploader returns: how the catalog row should point at the uploaded file."""

    location_type: str
    location: str
    version_id: str | None = attrs.field(default=None, converter=_optional_str)
