"""Sharding across distributed ranks and DataLoader workers started by spawn/forkserver
(upstream's end-to-end distributed test, in this project's words): every object is read
exactly once across all ranks and workers, checked in the results and on the wire."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch.distributed")

JOB = Path(__file__).with_name("spawned_ranks.py")


@pytest.mark.slow
@pytest.mark.parametrize(("ranks", "workers", "start"), [(2, 2, "spawn"), (3, 1, "forkserver")])
def test_each_object_is_read_once_across_ranks_and_workers(
    proxy, bucket, s3_client, tmp_path, ranks, workers, start
):
    objects = {f"shards/{index:03d}.bin": f"object {index}".encode() * 50 for index in range(23)}
    for key, data in objects.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=data)
    proxy.reset()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [
            sys.executable,
            str(JOB),
            f"s3://{bucket}/shards/",
            str(ranks),
            str(workers),
            start,
            str(tmp_path),
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    reports = [json.loads((tmp_path / f"rank-{rank}.json").read_text()) for rank in range(ranks)]
    items = [item for report in reports for item in report["items"]]
    assert Counter(item["key"] for item in items) == Counter(list(objects))  # each exactly once
    for item in items:
        assert item["sha1"] == hashlib.sha1(objects[item["key"]]).hexdigest()
    for report in reports:  # round-robin over ranks, then over the workers of each rank
        keys = sorted(objects)[report["rank"] :: ranks]
        assert sorted(item["key"] for item in report["items"]) == keys
        if workers:
            assert {item["pid"] for item in report["items"]}.isdisjoint({report["pid"]})
            assert {item["worker"] for item in report["items"]} == set(range(workers))
    # on the wire: one GET per object, whatever the number of processes
    assert Counter(
        request.target.split("?")[0].split(f"/{bucket}/", 1)[-1]
        for request in proxy.requests
        if request.method == "GET" and "list-type" not in request.target
    ) == Counter(list(objects))
