"""Distributed ranks started by ``torch.multiprocessing.spawn``, each with DataLoader workers
started by ``spawn`` (or another start method), reading a sharded ``S3IterableDataset``.

Run by ``test_distributed.py`` as ``python spawned_ranks.py URI RANKS WORKERS START OUT``;
each rank writes ``OUT/rank-<r>.json``: what each of its workers read.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader, get_worker_info

from brainio_s3 import S3IterableDataset


def read(reader) -> dict:
    data = reader.read()
    info = get_worker_info()
    return {
        "key": reader.key,
        "sha1": hashlib.sha1(data).hexdigest(),
        "worker": None if info is None else info.id,
        "pid": os.getpid(),
    }


def run_rank(rank: int, uri: str, ranks: int, workers: int, start: str, out: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{out}/rendezvous", rank=rank, world_size=ranks
    )
    try:
        dataset = S3IterableDataset.from_prefix(uri, transform=read, enable_sharding=True)
        loader = DataLoader(
            dataset,
            batch_size=None,
            num_workers=workers,
            multiprocessing_context=start if workers else None,
        )
        items = list(loader)
        Path(out, f"rank-{rank}.json").write_text(
            json.dumps({"rank": dist.get_rank(), "pid": os.getpid(), "items": items})
        )
        dist.barrier()
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    uri, ranks, workers, start, out = sys.argv[1:]
    torch.set_num_threads(1)
    mp.spawn(run_rank, args=(uri, int(ranks), int(workers), start, out), nprocs=int(ranks))
