"""S3Checkpoint: torch.save / torch.load through S3 objects."""

from __future__ import annotations

import pytest

from brainio_s3.checkpoint import S3Checkpoint
from brainio_s3.config import MiB, S3ClientConfig

torch = pytest.importorskip("torch")


def test_checkpoint_round_trip(bucket, s3_env):
    checkpoint = S3Checkpoint(
        region="us-east-1",
        endpoint=s3_env["AWS_ENDPOINT_URL"],
        s3client_config=S3ClientConfig(part_size=5 * MiB),
    )
    generator = torch.Generator().manual_seed(0)
    state = {
        "weights": torch.randn(1024, 2048, generator=generator),  # 8 MiB: a multipart upload
        "bias": torch.arange(10, dtype=torch.int64),
        "step": 1234,
        "nested": {"names": ["a", "b"], "scale": torch.tensor(0.5)},
    }
    uri = f"s3://{bucket}/run-1/epoch-3.pt"
    with checkpoint.writer(uri) as writer:
        torch.save(state, writer)
    for mode in ("sequential", "range"):
        with checkpoint.reader(uri, mode=mode) as reader:
            loaded = torch.load(reader, weights_only=True)
        assert loaded.keys() == state.keys()
        assert torch.equal(loaded["weights"], state["weights"])
        assert torch.equal(loaded["bias"], state["bias"])
        assert loaded["step"] == 1234 and loaded["nested"]["names"] == ["a", "b"]
        assert torch.equal(loaded["nested"]["scale"], state["nested"]["scale"])


def test_failed_save_leaves_no_checkpoint(bucket, s3_client):
    checkpoint = S3Checkpoint(s3client_config=S3ClientConfig(part_size=5 * MiB))
    uri = f"s3://{bucket}/run-1/broken.pt"
    with pytest.raises(Exception, match="lambda|pickle"):
        with checkpoint.writer(uri) as writer:
            torch.save({"weights": torch.zeros(2 * MiB), "bad": lambda: None}, writer)
    assert "Contents" not in s3_client.list_objects_v2(Bucket=bucket)
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_loading_a_missing_checkpoint_names_it(bucket):
    from brainio_s3.errors import S3ObjectNotFoundError

    checkpoint = S3Checkpoint()
    with pytest.raises(S3ObjectNotFoundError, match=f"s3://{bucket}/nope.pt does not exist"):
        torch.load(checkpoint.reader(f"s3://{bucket}/nope.pt"), weights_only=True)
