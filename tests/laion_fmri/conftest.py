"""A miniature of the public bucket ``s3://laion-fmri`` on the loopback S3 server.

Built once per test session with the real key names: subjects sub-01 and sub-03 with
GLMsingle outputs (12x12x12 grid, 40 trials per session) and ROIs, sub-05 with ROIs only
(a partly uploaded subject); held-out session ses-31 of sub-01, which a bucket policy denies
(as the real bucket does); ROI labels with hyphens (``FFA-1``); and 1,050 figure files under
sub-03's first session so that listing the subject must paginate.

Betas encode where they come from: volume ``t`` of session ``ses-NN`` holds
``NN * 100000 + t * 2000 + v`` at flat grid index ``v`` (C order), exact in float32
(:func:`beta_value`), so a test can check every value it gets back.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import nibabel as nib
import numpy as np
import pytest

# the S3 server fixtures (brainio_s3.testing), for the tests of this folder only
from brainio_s3.testing import *  # noqa: F403
from brainio_s3.testing import aws_environment, public_read_policy

BUCKET = "laion-fmri"
GRID = (12, 12, 12)
N_TRIALS = 40
AFFINE = np.diag([1.778, 1.778, 1.778, 1.0])
AFFINE[:3, 3] = [-10.0, -12.0, -8.0]
GLM = "derivatives/glmsingle-tedana"
# bucket label (may hold hyphens) per category; BIDS-clean names drop the hyphens
ROIS = {
    "sub-01": {
        "body": ["EBA"],
        "character": ["VWFA-1"],
        "face": ["FFA-1", "FFA-2", "OFA"],
        "laion": ["laion-EVC"],
        "motion": ["MT"],
        "object": ["l-objects"],
        "place": ["PPA"],
        "retinotopy": ["V1v", "V1d"],
    },
    "sub-03": {
        "body": ["EBA", "FBA"],
        "character": ["VWFA-1"],
        "face": ["FFA-1", "FFA-2", "OFA", "pSTS-faces"],
        "laion": ["laion-EVC"],
        "motion": ["MT"],
        "object": ["l-objects"],
        "place": ["PPA"],
        "retinotopy": ["V1v"],
    },
    "sub-05": {"face": ["FFA-1"], "retinotopy": ["V1v", "V2v"]},
}
SESSIONS = {"sub-01": ["ses-01", "ses-02", "ses-31"], "sub-03": ["ses-01", "ses-02"]}
HELD_OUT = "ses-31"
N_FIGURES = 1050
N_VERTICES = 64


def clean(label: str) -> str:
    return label.replace("-", "")


def beta_value(session: str, volume: int, voxel: int | np.ndarray) -> np.ndarray:
    """The value the miniature stores for ``session``, ``volume`` and flat grid index ``voxel``."""
    return np.float32(int(session[-2:]) * 100_000 + volume * 2_000) + np.float32(voxel)


def brain_mask() -> np.ndarray:
    """Full-grid boolean (x, y, z): a ball of radius 5 in the middle of the grid."""
    x, y, z = np.indices(GRID)
    return (x - 5.5) ** 2 + (y - 5.5) ** 2 + (z - 5.5) ** 2 <= 25


def roi_mask(subject: str, label: str) -> np.ndarray:
    """Full-grid boolean (x, y, z) of a ROI: every 13th brain voxel, offset by the ROI's rank."""
    labels = [name for names in ROIS[subject].values() for name in names]
    rank = labels.index(label)
    flat = np.arange(np.prod(GRID)).reshape(GRID)
    return brain_mask() & (flat % 13 == rank)


def roi_vertices(subject: str, label: str, hemi: str) -> np.ndarray:
    labels = [name for names in ROIS[subject].values() for name in names]
    start = labels.index(label) * 3 + (0 if hemi == "L" else 1)
    return np.arange(start, N_VERTICES, 20)


def labels_of(session: str) -> list[str]:
    """40 trial labels: 10 shared images shown twice, 20 unique images once, interleaved."""
    shared = [f"shared_12rep_LAION_cluster_{k}_i0.jpg" for k in range(10)]
    unique = [f"unique_LAION_new_cluster_{session[-2:]}{k:02d}_i0_p01.jpg" for k in range(20)]
    order = []
    for k in range(20):
        order += [shared[k % 10], unique[k]]
    return order


def nifti_bytes(array: np.ndarray) -> bytes:
    image = nib.Nifti1Image(array, AFFINE)
    image.header.set_data_dtype(array.dtype)
    raw = image.to_bytes()
    return gzip.compress(raw, compresslevel=1)


def gifti_bytes(values: np.ndarray) -> bytes:
    image = nib.gifti.GiftiImage(darrays=[nib.gifti.GiftiDataArray(values.astype(np.float32))])
    return image.to_bytes()


def label_bytes(subject: str, vertices: np.ndarray) -> bytes:
    lines = [f"#!ascii label  , from subject {subject} vox2ras=TkReg", str(len(vertices))]
    lines += [f"{v}  {v * 0.5:.3f}  {v * 0.25:.3f}  {-v * 0.1:.3f} 1.0000000000" for v in vertices]
    return ("\n".join(lines) + "\n").encode()


def build_objects() -> dict[str, bytes]:
    """Every key of the miniature (except the bulk figures) with its content."""
    brain = brain_mask()
    flat = np.arange(np.prod(GRID)).reshape(GRID)
    objects: dict[str, bytes] = {
        "dataset_description.json": json.dumps(
            {"Name": "LAION-fMRI (test miniature)", "BIDSVersion": "1.9.0"}
        ).encode(),
        "participants.tsv": b"participant_id\nsub-01\nsub-03\nsub-05\n",
        "participants.json": b"{}",
        "README": b"Miniature of s3://laion-fmri for tests.\n",
    }
    for subject, sessions in SESSIONS.items():
        base = f"{GLM}/{subject}/{subject}_task-images"
        r2mean = np.where(brain, 5.0 + (flat % 7), 0.0).astype(np.float32)
        r2mean[0, 0, :] = np.nan  # NaN outside the brain must not count as brain
        objects[f"{base}_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz"] = nifti_bytes(r2mean)
        objects[f"{base}_space-T1w_stat-rsquare_desc-R2mean_statmap.json"] = b"{}"
        objects[f"{base}_desc-GLMsingle_summary.json"] = b'{"sessions": 2}'
        for desc, scale in (
            ("Noiseceiling4rep", 1),
            ("Noiseceiling12rep", 2),
            ("NoiseceilingAllrep", 3),
        ):
            nc = np.where(brain, (flat % 50) * scale, 0).astype(np.float32)
            objects[f"{base}_space-T1w_desc-{desc}_statmap.nii.gz"] = nifti_bytes(nc)
            objects[f"{base}_space-T1w_desc-{desc}_statmap.json"] = b"{}"
        for session in sessions:
            func = f"{GLM}/{subject}/{session}/func/{subject}_{session}_task-images"
            volumes = np.stack(
                [
                    np.where(brain, beta_value(session, t, flat), 0).astype(np.float32)
                    for t in range(N_TRIALS)
                ],
                axis=-1,
            )
            objects[f"{func}_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz"] = (
                nifti_bytes(volumes)
            )
            objects[f"{func}_space-T1w_stat-effect_desc-SingletrialBetas_statmap.json"] = b"{}"
            rows = ["session\trun\tbeta_index\tlabel"] + [
                f"{session}\t{t // 10 + 1}\t{t}\t{label}"
                for t, label in enumerate(labels_of(session))
            ]
            objects[f"{func}_desc-SingletrialBetas_trials.tsv"] = ("\n".join(rows) + "\n").encode()
            objects[f"{func}_desc-SingletrialBetas_trials.json"] = b"{}"
            nc = np.where(brain, flat % 100, 0).astype(np.float32)
            objects[f"{func}_space-T1w_desc-Noiseceiling_statmap.nii.gz"] = nifti_bytes(nc)
            objects[f"{func}_space-T1w_desc-Noiseceiling_statmap.json"] = b"{}"
            r2 = np.where(brain, 10.0, 0).astype(np.float32)
            objects[f"{func}_space-T1w_stat-rsquare_desc-R2_statmap.nii.gz"] = nifti_bytes(r2)
            objects[f"{func}_space-T1w_desc-GLMsingle_model.h5"] = b"\x89HDF\r\n\x1a\n(test)"
            objects[f"{func}_desc-GLMsingle_summary.json"] = b"{}"
    objects.update(stimulus_objects())
    for subject, categories in ROIS.items():
        for category, labels in categories.items():
            folder = f"derivatives/rois/{subject}/{category}"
            for label in labels:
                mask = roi_mask(subject, label).astype(np.uint8)
                objects[f"{folder}/{subject}_space-T1w_res-1pt8_label-{label}_mask.nii.gz"] = (
                    nifti_bytes(mask)
                )
                for hemi in "LR":
                    vertices = roi_vertices(subject, label, hemi)
                    values = np.zeros(N_VERTICES)
                    values[vertices] = 1
                    stem = f"{folder}/{subject}_hemi-{hemi}_space-fsnative_label-{label}_mask"
                    objects[f"{stem}.func.gii"] = gifti_bytes(values)
                    objects[f"{stem}.label"] = label_bytes(subject, vertices)
    return objects


def stimulus_ids() -> list[str]:
    """Every image the trial tables name: 10 shared ones, then the unique ones of each session."""
    labels = [label for session in ("ses-01", "ses-02") for label in labels_of(session)]
    return list(dict.fromkeys(sorted(labels, key=lambda name: not name.startswith("shared_"))))


def stimulus_color(index: int) -> tuple[int, int, int]:
    """The solid colour of stimulus ``index`` (a JPEG of one colour decodes within +-3)."""
    return (index * 5 % 256, 255 - index * 5 % 256, 40 + index % 7 * 30)


def jpeg_bytes(color: tuple[int, int, int], size: tuple[int, int] = (16, 12)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=95)
    return out.getvalue()


def stimulus_objects() -> dict[str, bytes]:
    """``stimuli/stimuli.tsv`` (stimulus_id, filename, shared) and ``stimuli/images/*.jpg``."""
    ids = stimulus_ids()
    rows = ["stimulus_id\tfilename\tshared\tcategory"] + [
        f"{name}\t{name}\t{name.startswith('shared_')}\tLAION" for name in ids
    ]
    objects = {"stimuli/stimuli.tsv": ("\n".join(rows) + "\n").encode()}
    for index, name in enumerate(ids):
        objects[f"stimuli/images/{name}"] = jpeg_bytes(stimulus_color(index))
    return objects


def figure_keys() -> list[str]:
    return [f"{GLM}/sub-03/ses-01/func/figures/fig_{n:04d}.png" for n in range(N_FIGURES)]


def held_out_policy() -> str:
    policy = json.loads(public_read_policy(BUCKET))
    policy["Statement"].append(
        {
            "Sid": "HeldOutSessions",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{BUCKET}/{GLM}/*/{HELD_OUT}/*"],
        }
    )
    return json.dumps(policy)


@attrs.frozen
class Miniature:
    endpoint: str
    objects: dict  # key -> bytes (without the figures)


@pytest.fixture(scope="session")
def laion_bucket(moto_endpoint: str) -> Miniature:
    """Create and fill the bucket once per session."""
    import boto3
    from botocore.config import Config

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=16),
    )
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    client.put_bucket_policy(Bucket=BUCKET, Policy=held_out_policy())
    objects = build_objects()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda item: client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1]),
                objects.items(),
            )
        )
    _put_many(client, figure_keys(), b"\x89PNG figure")
    return Miniature(moto_endpoint, objects)


def _put_many(client, keys: list[str], body: bytes) -> None:
    """Many tiny objects: straight into the in-process server's store (an HTTP PUT costs ~6 ms
    in moto; the code under test still lists them over HTTP). Falls back to HTTP PUTs."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        for key in keys:
            backend.put_object(BUCKET, key, body)
    except (ImportError, KeyError, AttributeError, TypeError):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda key: client.put_object(Bucket=BUCKET, Key=key, Body=body), keys))
    listed = sum(
        page.get("KeyCount", 0)
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=f"{GLM}/sub-03/ses-01/func/figures/"
        )
    )
    assert listed == len(keys), f"the server holds {listed} of the {len(keys)} figure keys"


@pytest.fixture
def crafted_keys(laion_bucket: Miniature) -> Iterator[Callable[[str, bytes], None]]:
    """``put(key, body)``: a crafted object in the miniature for one test, removed after it."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=laion_bucket.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys: list[str] = []

    def put(key: str, body: bytes = b"crafted") -> None:
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
        keys.append(key)

    yield put
    for key in keys:
        client.delete_object(Bucket=BUCKET, Key=key)


@pytest.fixture
def laion_env(
    laion_bucket: Miniature,
    s3_environment: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """This process and subprocesses given the returned variables see the miniature bucket,
    with an empty user configuration folder and no data directory set."""
    config_home = tmp_path / "config"
    config_home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv("LAION_FMRI_DATA_DIR", raising=False)
    env = dict(os.environ)
    env.update(s3_environment)
    return env


@pytest.fixture
def data_dir(laion_env: dict[str, str], tmp_path: Path) -> Path:
    """An initialized, empty data directory."""
    from laion_fmri.config import dataset_initialize

    folder = tmp_path / "data"
    folder.mkdir()
    dataset_initialize(str(folder))
    return folder


@pytest.fixture(scope="session")
def downloaded(laion_bucket: Miniature, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with sub-01's ses-01 and ses-02 downloaded (read-only for tests)."""
    from laion_fmri.download import download

    folder = tmp_path_factory.mktemp("laion_downloaded")
    home = tmp_path_factory.mktemp("laion_aws")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_environment(laion_bucket.endpoint, home).items():
            patch.setenv(name, value)
        patch.setenv("LAION_FMRI_DATA_DIR", str(folder))
        download("sub-01", ses=["ses-01", "ses-02"], n_jobs=4)
    return folder


@pytest.fixture
def subject(downloaded: Path, monkeypatch: pytest.MonkeyPatch):
    from laion_fmri.subject import load_subject

    monkeypatch.setenv("LAION_FMRI_DATA_DIR", str(downloaded))
    return load_subject("sub-01")


def run_cli(args: list[str], env: dict[str, str], cwd: Path | None = None):
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "laion_fmri.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli() -> Iterator:
    yield run_cli


def write_split(path: Path, name: str, train: list[str], test: list[str], **extra) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "name": name,
        "pool": "test pool",
        "splitter": extra.pop("splitter", "test"),
        "params": extra.pop("params", {}),
        "n_train": len(train),
        "n_test": len(test),
        "variants": [{"variant_id": 0, "train_ids": train, "test_ids": test}],
        **extra,
    }
    path.write_text(json.dumps(content))
    return path


def make_split_files(folder: Path) -> list[Path]:
    """Split files in the published schema whose ids are the miniature's labels (test data)."""
    shared = [f"shared_12rep_LAION_cluster_{k}_i0.jpg" for k in range(10)]
    ood = [
        f"shared_4rep_OOD_{kind}_{n}.{ext}"
        for kind, ext, count in (
            ("shape", "png", 3),
            ("gabor", "png", 2),
            ("illusion-classic", "jpg", 2),
        )
        for n in range(count)
    ]
    files = []
    for number in range(5):
        test = shared[number * 2 : number * 2 + 2]
        train = [s for s in shared if s not in test]
        files.append(
            write_split(
                folder / "shared" / f"random_{number}.json",
                f"random_{number}",
                train,
                test,
                splitter="random",
            )
        )
        files.append(
            write_split(
                folder / "shared" / f"cluster_k5_{number}.json",
                f"cluster_k5_{number}",
                train,
                test,
                splitter="kmeans",
            )
        )
    files.append(write_split(folder / "shared" / "tau.json", "tau", shared[:8], shared[8:]))
    files.append(
        write_split(
            folder / "shared" / "ood.json",
            "ood",
            shared,
            ood,
            splitter="ood_holdout",
            params={"ood_types": ["gabor", "illusion-classic", "shape"]},
        )
    )
    unique = labels_of("ses-01")[1::2]
    files.append(
        write_split(
            folder / "sub-01" / "random_0.json",
            "random_0",
            shared[2:] + unique[5:],
            shared[:2] + unique[:5],
        )
    )
    return files


@pytest.fixture(scope="session")
def mini():
    """This module, for its helpers and constants (test files cannot import a conftest)."""
    return sys.modules[__name__]
