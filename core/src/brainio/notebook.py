"""Rich views in Jupyter: the ``_repr_html_`` of catalogs, cards, stimulus sets and assemblies.

Self-contained HTML (inline styles, thumbnails as ``data:`` URIs) so a view renders the same in
a notebook, in an exported HTML file and in a browser, with no server to fetch images from.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from brainio.cards import Card
    from brainio.catalogs import Catalog

logger = logging.getLogger(__name__)

__all__ = ["assembly_html", "card_html", "catalog_html", "stimulus_set_html", "thumbnail_uri"]

MAX_THUMBNAILS = 24
"""Stimuli shown as thumbnails in a stimulus set's view (the first ones)."""
THUMBNAIL_SIZE = 96
"""Thumbnail edge in pixels."""
MAX_RAW_IMAGE_BYTES = 200_000
"""Without Pillow, images up to this size are embedded as they are; larger ones are named."""
MAX_CATALOG_ROWS = 500
_CAPTION_COLUMNS = 3

_STYLE = (
    "<style>"
    ".brainio{font-family:var(--jp-content-font-family,sans-serif);font-size:13px}"
    ".brainio table{border-collapse:collapse;margin:4px 0}"
    ".brainio th,.brainio td{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}"
    ".brainio th{font-weight:600}"
    ".brainio .grid{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}"
    f".brainio figure{{margin:0;width:{THUMBNAIL_SIZE}px;font-size:11px;overflow:hidden}}"
    f".brainio figure img{{width:{THUMBNAIL_SIZE}px;height:{THUMBNAIL_SIZE}px;"
    "object-fit:contain;background:#f4f4f4}"
    ".brainio pre{font-size:11px;background:#f7f7f7;padding:6px;overflow-x:auto}"
    ".brainio .muted{color:#777}"
    "</style>"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = "".join(f"<th>{_e(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cached(flag: bool) -> str:
    return "✓ cached" if flag else '<span class="muted">not cached</span>'


# --- cards and catalogs -----------------------------------------------------------------------


def card_html(card: Card) -> str:
    """A card: what the data set is, its files and sizes, how to cite it, whether it is cached."""
    from brainio.cards import format_size

    facts = [
        ("kind", card.kind.replace("_", " ")),
        ("class", card.class_name),
        ("catalog", card.catalog),
        ("registry key", card.registry_key),
        ("access", card.access),
        ("description", card.description),
        ("license", card.license),
        ("stimulus set", card.stimulus_set_identifier),
        ("stimuli", card.num_stimuli),
        ("dims", " × ".join(f"{d}: {n}" for d, n in card.dims.items()) if card.dims else None),
        ("size", format_size(card.size)),
    ]
    rows = [(f"<b>{_e(name)}</b>", _e(value)) for name, value in facts if value not in (None, "")]
    if card.url:
        rows.append(("<b>url</b>", f'<a href="{_e(card.url)}">{_e(card.url)}</a>'))
    files = _table(
        ("file", "size", "status", "location"),
        (
            (
                _e(file.role),
                _e(format_size(file.size)),
                _cached(file.cached),
                _e(f"{file.location_type}:{file.location}"),
            )
            for file in card.files
        ),
    )
    citation = (
        f"<details><summary>citation (BibTeX)</summary><pre>{_e(card.citation)}</pre></details>"
        if card.citation
        else ""
    )
    return (
        f'{_STYLE}<div class="brainio brainio-card"><b>{_e(card.identifier)}</b>'
        f"{_table(('', ''), rows)}{files}{citation}</div>"
    )


def catalog_html(catalog: Catalog) -> str:
    """A catalog: one row per data set with its class, registry key, size and cache status."""
    from brainio.cache import get_cache
    from brainio.cards import SIZE_COLUMN, format_size

    cache = get_cache()
    sets: dict[tuple[str, str], dict[str, Any]] = {}
    for row in catalog.rows():
        entry = sets.setdefault(
            (row.identifier, row.lookup_type),
            {"class": None, "registry": None, "sizes": [], "cached": True},
        )
        if row.class_name is not None:
            entry["class"] = row.class_name
            entry["registry"] = row.extra.get("registry_key")
        cached = cache.is_cached(row.source)
        entry["cached"] &= cached
        size = cache.path_for(row.source).stat().st_size if cached else None
        if size is None and str(row.extra.get(SIZE_COLUMN, "")).isdigit():
            size = int(row.extra[SIZE_COLUMN])
        entry["sizes"].append(size)
    items = list(sets.items())
    shown = items[:MAX_CATALOG_ROWS]
    rows = [
        (
            f"<code>{_e(identifier)}</code>",
            _e(kind.replace("_", " ")),
            _e(entry["class"] or ""),
            _e(entry["registry"] or ""),
            _e(format_size(None if None in entry["sizes"] else sum(entry["sizes"]))),
            _cached(entry["cached"]),
        )
        for (identifier, kind), entry in shown
    ]
    more = (
        f'<p class="muted">… and {len(items) - len(shown)} more (brainio list shows all)</p>'
        if len(items) > len(shown)
        else ""
    )
    name = getattr(catalog, "identifier", None) or "catalog"
    where = f' <span class="muted">{_e(catalog.source_path)}</span>' if catalog.source_path else ""
    return (
        f'{_STYLE}<div class="brainio brainio-catalog"><b>Catalog {_e(name)}</b>{where}: '
        f"{len(items)} data sets"
        f"{_table(('identifier', 'kind', 'class', 'registry key', 'size', 'cache'), rows)}"
        f"{more}</div>"
    )


# --- stimulus sets ----------------------------------------------------------------------------


def thumbnail_uri(path: Path, size: int = THUMBNAIL_SIZE) -> str | None:
    """A ``data:`` URI of a small version of the image at ``path``; ``None`` if it cannot be
    shown (not an image, unreadable, or too large to embed without Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        return _raw_uri(path)
    try:
        with Image.open(path) as image:
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(
                buffer, format="PNG"
            )
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        logger.debug("no thumbnail for %s: %s", path, error)
        return None
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _raw_uri(path: Path) -> str | None:
    mime = mimetypes.guess_type(path.name)[0]
    try:
        too_large = path.stat().st_size > MAX_RAW_IMAGE_BYTES
        if mime is None or not mime.startswith("image/") or too_large:
            return None
        return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return None


def stimulus_set_html(stimulus_set: pd.DataFrame, max_thumbnails: int = MAX_THUMBNAILS) -> str:
    """A stimulus set: its name and size, a grid of thumbnails with metadata, then the table."""
    import pandas as pd

    paths: dict[Any, Path] = getattr(stimulus_set, "stimulus_paths", None) or {}
    identifier = getattr(stimulus_set, "identifier", None) or ""
    captions = [
        column
        for column in stimulus_set.columns
        if column not in ("stimulus_id", "filename", "image_file_name")
    ][:_CAPTION_COLUMNS]
    figures = []
    if "stimulus_id" in stimulus_set.columns:
        for record in stimulus_set.head(max_thumbnails).to_dict("records"):
            stimulus_id = record["stimulus_id"]
            path = paths.get(stimulus_id)
            uri = thumbnail_uri(Path(path)) if path is not None else None
            image = (
                f'<img src="{uri}" alt="{_e(stimulus_id)}" title="{_e(path)}">'
                if uri
                else f'<div class="muted">{_e(Path(path).name if path else "no file")}</div>'
            )
            caption = "<br>".join(
                [f"<b>{_e(stimulus_id)}</b>"]
                + [f"{_e(column)}: {_e(record[column])}" for column in captions]
            )
            figures.append(f"<figure>{image}<figcaption>{caption}</figcaption></figure>")
    shown = (
        f' <span class="muted">(first {len(figures)} shown)</span>'
        if len(figures) < len(stimulus_set)
        else ""
    )
    table = pd.DataFrame._repr_html_(stimulus_set) or ""
    return (
        f'{_STYLE}<div class="brainio brainio-stimulus-set"><b>{type(stimulus_set).__name__}'
        f" {_e(identifier)}</b>: {len(stimulus_set)} stimuli, {len(stimulus_set.columns)} "
        f'columns{shown}<div class="grid">{"".join(figures)}</div></div>{table}'
    )


# --- assemblies -------------------------------------------------------------------------------


def assembly_html(assembly: Any) -> str:
    """An assembly: the card of its identifier (when a catalog knows it), then xarray's view."""
    import xarray as xr

    from brainio.errors import BrainIOError

    card_part = ""
    identifier = assembly.attrs.get("identifier")
    if identifier:
        from brainio.cards import card

        try:
            card_part = card_html(card(str(identifier)))
        except BrainIOError as error:  # not in an installed catalog: xarray's view alone
            logger.debug("no card for %s: %s", identifier, error)
    return card_part + xr.DataArray._repr_html_(assembly)
