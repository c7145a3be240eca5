# ruff: noqa: E402  (the example imports where it uses things)
"""
Querying the Dataset
====================

The LAION-fMRI example "Querying the Dataset" (plot_03_querying.py), as printed in
/work/shared/seeds/002_2d2ee839013691f1.txt, with its download lines uncommented so that the
per-subject and stimulus blocks run too. test_example.py runs it against the miniature bucket.
"""

# Pick the subject you want to look at on the line below:
SUBJECT = "sub-01"

import os

from laion_fmri.config import dataset_initialize

data_dir = os.path.join(os.getcwd(), "laion_fmri_quickstart")
os.makedirs(data_dir, exist_ok=True)
dataset_initialize(data_dir)

from laion_fmri.discovery import (
    describe,
    get_rois,
    get_subjects,
    inspect_bucket,
)

describe()

print(f"All subjects: {get_subjects()}")
print(f"Querying subject: {SUBJECT}")

ROI_CATEGORIES = (
    "body",
    "character",
    "face",
    "laion",
    "motion",
    "object",
    "place",
    "retinotopy",
)

print(f"All ROIs ({len(get_rois(SUBJECT))}):")
print(get_rois(SUBJECT))
print()
for cat in ROI_CATEGORIES:
    rois = get_rois(SUBJECT, category=cat)
    print(f"{cat}: {rois}")

inspect_bucket()

from laion_fmri.splits import (
    get_train_test_ids,
    list_ood_types,
    list_pools,
    list_splits,
    load_split,
)

print(f"Pools: {list_pools()}")
print(f"Splits: {list_splits()}")
print(f"OOD types: {list_ood_types()}")

split = load_split("random_0", pool="shared")
print(f"Split: {split.name}")
print(f"Pool: {split.pool}")
print(f"Family: {split.split_family}")
print(f"n_train: {split.n_train}")
print(f"n_test: {split.n_test}")

train_ids, test_ids = get_train_test_ids("random_0", pool="shared")
print(f"Loaded: {len(train_ids)} train / {len(test_ids)} test ids")

_, test_shape = get_train_test_ids(
    "ood",
    pool="shared",
    ood_types=["shape"],
)
print(f"OOD shape only: test ids = {len(test_shape)}")

from laion_fmri.download import download

# one session for one subject (~few hundred MB):
download(subject="sub-01", ses="ses-01")

from laion_fmri.subject import load_subject

sub = load_subject("sub-01")

# Sessions present on disk
print(sub.get_sessions())  # ['ses-01', ...]

# Trial info: runs, repetitions, stimulus labels
trials = sub.get_trial_info(session="ses-01")
# columns: session, run, beta_index, label
print(trials.columns.tolist())
print(trials["run"].unique())  # runs in this session
print(len(trials))  # trial count

# Single-trial betas with the multi-level ROI grammar
betas_one = sub.get_betas(session="ses-01", roi="FFA1")
betas_face = sub.get_betas(session="ses-01", roi="face")
betas_all = sub.get_betas(session="ses-01", roi="all")

# Multi-format ROI loading
roi = sub.get_roi_data("FFA1", format="all", hemi="all")
# roi["FFA1"] is a nested dict:
# {
#     "volume": <1-D bool>,
#     "gii": {"hemi-L": {"func.gii": ..., "label": ...},
#             "hemi-R": {...}},
# }

for sub_id in get_subjects():
    n_total = len(get_rois(sub_id))
    n_face = len(get_rois(sub_id, category="face"))
    print(f"{sub_id}: {n_total} ROIs total, {n_face} face")

download(subject="sub-01", include_stimuli=True)
sub = load_subject("sub-01")
if sub.has_stimuli():
    stim = sub.get_stimulus_metadata()
    print(stim.head())
    print(f"Total stimuli: {len(stim)}")
    print(f"Shared: {stim['shared'].sum()}")
    print(f"Categories: {stim['category'].value_counts()}")
