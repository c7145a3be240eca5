"""The floors under loading the MajajHong2015-sized package: what the hardware and codecs cost.

Measured on the package's netCDF file (written by BrainIO 1.1.0: zlib level 9 + shuffle, 9
chunks of about 17 MiB), each step alone, in this process, best of ``--repeat`` runs:

- reading the compressed chunks (``pread``, page cache warm);
- inflating them on one core with zlib and with isal (CPU seconds);
- undoing HDF5's shuffle into the final array;
- all of it in parallel as ``brainio.chunked_read`` does (wall seconds, all usable CPUs);
- netCDF4 (HDF5) reading the same variable, as BrainIO 1.1.0 and xarray do;
- reading a decoded copy (``.npy``, page cache warm) with its CRC-32 checks;
- SHA-1 of the file (what verifying a download costs) and a plain copy of the values in memory;
- netCDF4 reading the two variable-length string coordinates (148,480 strings each), and
  ``brainio.heap_strings`` reading them from the file's heap, factorized;
- deflating the values at level 1 with isal and with zlib (what writing them costs);
- zipfile storing the 5,760 stimulus files into one zip (what packaging them costs).

    .venv/bin/python bench/floors.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def best(repeat: int, step) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs of ``step()``."""
    runs = []
    for _ in range(repeat):
        cpu, wall = common.cpu_seconds(), time.perf_counter()
        step()
        runs.append((time.perf_counter() - wall, common.cpu_seconds() - cpu))
    return min(runs)


def read_strings(path: Path) -> None:
    """What every reader pays for the variable-length strings: one object per element."""
    import netCDF4

    with netCDF4.Dataset(path) as dataset:
        for name in ("stimulus_id", "session"):
            dataset[name][...]


def zip_stimuli(work: Path, target: Path) -> None:
    """The least packaging does: each stimulus file read and stored into one zip."""
    import zipfile

    folder = common.extracted_stimuli(work)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(folder.iterdir()):
            archive.writestr(file.name, file.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=common.WORK)
    args = parser.parse_args()
    common.ensure_package(args.work)
    import xarray as xr
    from isal import isal_zlib

    from brainio import chunked_read, decoded, heap_strings
    from brainio.hashing import sha1_hash

    path = common.package_dir(args.work) / common.NC_NAME
    layout = chunked_read.inspect(path, "data")
    descriptor = os.open(path, os.O_RDONLY)
    entries = list(layout.index.values())
    raw = [os.pread(descriptor, size, offset) for offset, size, _ in entries]
    inflated = [zlib.decompress(chunk) for chunk in raw]
    values_mib = np.prod(layout.shape) * 4 / 2**20
    out = np.empty(layout.shape, np.float32)

    def regions(position) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """A chunk's place in the array, and the part of the chunk inside the array."""
        origin = [index * size for index, size in zip(position, layout.chunks, strict=True)]
        target = tuple(
            slice(start, min(start + size, length))
            for start, size, length in zip(origin, layout.chunks, layout.shape, strict=True)
        )
        return target, tuple(slice(0, part.stop - part.start) for part in target)

    def unshuffle() -> None:
        buffer = np.empty(layout.chunks, np.float32)
        for position, chunk in zip(layout.index, inflated, strict=True):
            planes = np.frombuffer(chunk, np.uint8).reshape(4, -1)
            interleaved = buffer.reshape(-1).view(np.uint8).reshape(-1, 4)
            for plane in range(4):
                interleaved[:, plane] = planes[plane]
            target, inside = regions(position)
            out[target] = buffer[inside]

    def unshuffle_in_place() -> None:
        """What chunked_read does above CHUNK_BUFFER_BYTES: each byte plane written straight
        into the array (strided), no chunk buffer; slower where a chunk's rows are short."""
        for position, chunk in zip(layout.index, inflated, strict=True):
            planes = np.frombuffer(chunk, np.uint8).reshape(4, *layout.chunks)
            target, inside = regions(position)
            destination = out[target][..., None].view(np.uint8)
            for plane in range(4):
                destination[..., plane] = planes[plane][inside]

    with tempfile.TemporaryDirectory(dir=args.work) as folder:
        copy = Path(folder) / "values.npy"
        values = chunked_read.read_all(layout)
        np.save(copy, values)
        record = {
            "shape": list(values.shape),
            "dtype": values.dtype.str,
            "block_bytes": decoded.BLOCK_BYTES,
            "crc32": decoded._checksums(values),
        }
        steps = {
            "read the compressed chunks (pread)": lambda: [
                os.pread(descriptor, size, offset) for offset, size, _ in entries
            ],
            "inflate, zlib, one core": lambda: [zlib.decompress(chunk) for chunk in raw],
            "inflate, isal, one core": lambda: [isal_zlib.decompress(chunk) for chunk in raw],
            "unshuffle through a chunk buffer, one core": unshuffle,
            "unshuffle straight into the array, one core": unshuffle_in_place,
            f"chunked_read.read_all ({chunked_read.threads()} threads)": lambda: (
                chunked_read.read_all(layout)
            ),
            "netCDF4 (HDF5) reads the variable": lambda: (
                xr.open_dataset(path, engine="netcdf4")["data"].values
            ),
            "read the decoded copy, CRC-32 checked": lambda: decoded._read_copy(copy, record),
            "SHA-1 of the file": lambda: sha1_hash(path),
            "copy the values in memory (memcpy)": lambda: values.copy(),
            "netCDF4 reads the 2 string coordinates": lambda: read_strings(path),
            "heap_strings reads them, factorized": lambda: [
                heap_strings.read(path, name) for name in ("stimulus_id", "session")
            ],
            "deflate, isal level 1, one core (writing)": lambda: [
                isal_zlib.compress(chunk, 1) for chunk in inflated
            ],
            "deflate, zlib level 1, one core (HDF5 writing)": lambda: [
                zlib.compress(chunk, 1) for chunk in inflated
            ],
            "zipfile: 5,760 stimuli stored into a zip": lambda: zip_stimuli(
                args.work, Path(folder) / "stimuli.zip"
            ),
        }
        print(
            f"{path.name}: {values_mib:.0f} MiB of float32 values in "
            f"{sum(size for _, size, _ in entries) / 2**20:.0f} MiB of {len(entries)} chunks "
            f"(filters {layout.filters})"
        )
        print(f"{'step':<48}{'wall s':>8}{'CPU s':>8}")
        for name, step in steps.items():
            wall, cpu = best(args.repeat, step)
            print(f"{name:<48}{wall:>8.2f}{cpu:>8.2f}")
    os.close(descriptor)
    print(
        f"best of {args.repeat}; {platform.machine()}, {os.cpu_count()} CPUs shared with other "
        f"jobs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )


if __name__ == "__main__":
    main()
