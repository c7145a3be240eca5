"""``laion_fmri.torch_data``: the LAION-fMRI package's trial data set, and the stimulus images
streamed from the bucket through the S3 plugin's data sets, with real DataLoaders."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader  # noqa: E402

from laion_fmri.download import accept_licenses  # noqa: E402
from laion_fmri.subject import Subject  # noqa: E402
from laion_fmri.torch_data import LaionFMRIDataset, repetition_index, stimulus_dataset  # noqa: E402


@pytest.fixture
def accepted(data_dir):
    accept_licenses(include_stimuli=True, agree=True)
    return data_dir


@pytest.fixture
def session(subject, accepted):
    """sub-01 from the shared download, with its stimuli fetched into a fresh data dir."""
    from laion_fmri.stimuli import Stimuli

    sub = Subject("sub-01", subject.data_dir)
    sub.stimuli = Stimuli(accepted)
    return sub


def test_trial_items(session, mini):
    dataset = LaionFMRIDataset(session, session="ses-01", roi="MT")
    assert len(dataset) == 40
    item = dataset[3]
    assert set(item) == {"betas", "image", "stimulus_id", "session", "rep_index"}
    selected = np.flatnonzero(mini.roi_mask("sub-01", "MT").ravel())
    assert item["betas"].dtype == torch.float32
    assert np.array_equal(item["betas"].numpy(), mini.beta_value("ses-01", 3, selected))
    labels = mini.labels_of("ses-01")
    assert item["stimulus_id"] == labels[3] and item["session"] == "ses-01"
    color = mini.stimulus_color(mini.stimulus_ids().index(labels[3]))
    assert item["image"].shape == (3, 12, 16)
    assert torch.allclose(item["image"][:, 0, 0], torch.tensor(color) / 255.0, atol=4 / 255)
    # shared images are shown twice per session: the second showing has rep_index 1
    assert [dataset[t]["rep_index"] for t in (0, 2, 20, 22)] == [0, 0, 1, 1]


def test_transform_and_dataloader(session):
    calls = []

    def halve(image):
        calls.append(image.shape)
        return image / 2

    dataset = session.to_torch_dataset(session="ses-02", roi="face", image_transform=halve)
    batches = list(DataLoader(dataset, batch_size=16))
    assert [len(b["stimulus_id"]) for b in batches] == [16, 16, 8]
    assert batches[0]["betas"].shape == (16, session.get_roi_mask("face").sum())
    assert len(calls) == 40 and float(batches[0]["image"].max()) <= 0.5


def test_shared_trials_only(session):
    dataset = LaionFMRIDataset(session, session="ses-01", stimuli="shared")
    assert len(dataset) == 20 and all(
        dataset[i]["stimulus_id"].startswith("shared_") for i in range(20)
    )


def test_repetition_index():
    assert repetition_index(["a", "b", "a", "a", "b"]).tolist() == [0, 0, 1, 2, 1]


def test_stimulus_images_streamed_from_the_bucket(accepted, mini):
    dataset = stimulus_dataset(mini.stimulus_ids()[:5])
    assert len(dataset) == 5
    name, image = dataset[2]
    assert name == mini.stimulus_ids()[2] and image.shape == (3, 12, 16)
    assert not (accepted / "stimuli" / "images").exists()  # streamed, not stored
    sizes = stimulus_dataset(transform=lambda name, image: (name, image.size))
    assert [item for item in sizes][:2] == [(n, (16, 12)) for n in mini.stimulus_ids()[:2]]


def test_sharded_stream_reads_each_image_once(accepted, mini):
    dataset = stimulus_dataset(
        iterable=True, enable_sharding=True, transform=lambda name, image: name
    )
    loader = DataLoader(dataset, batch_size=None, num_workers=2)
    names = list(loader)
    assert sorted(names) == sorted(mini.stimulus_ids())
