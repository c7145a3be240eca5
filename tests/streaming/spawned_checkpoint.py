"""Distributed ranks started by ``torch.multiprocessing.spawn`` saving one sharded checkpoint
to S3 with ``dcp.save`` and loading it back with ``dcp.load``.

Run by ``test_dcp.py`` as ``python spawned_checkpoint.py URI RANKS OUT``; each rank saves a
replicated tensor and one of its own, loads them into zeros and writes ``OUT/rank-<r>.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp

from brainio_s3.dcp import S3StorageReader, S3StorageWriter


def state(rank: int, fill: float | None = None) -> dict[str, torch.Tensor]:
    shared = torch.arange(1000, dtype=torch.float32)
    own = torch.full((64,), float(rank))
    if fill is not None:
        shared, own = torch.full_like(shared, fill), torch.full_like(own, fill)
    return {"shared": shared, f"rank{rank}": own}


def run_rank(rank: int, uri: str, ranks: int, out: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{out}/rendezvous", rank=rank, world_size=ranks
    )
    try:
        dcp.save(state(rank), storage_writer=S3StorageWriter(None, uri, thread_count=2))
        loaded = state(rank, fill=-1.0)
        dcp.load(loaded, storage_reader=S3StorageReader(None, uri))
        same = all(torch.equal(loaded[name], value) for name, value in state(rank).items())
        Path(out, f"rank-{rank}.json").write_text(json.dumps({"rank": rank, "same": same}))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    uri, ranks, out = sys.argv[1:]
    torch.set_num_threads(1)
    mp.spawn(run_rank, args=(uri, int(ranks), out), nprocs=int(ranks))
