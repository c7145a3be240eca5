"""Discovery reads the bucket: subjects, ROIs by category, the printed reports, pagination."""

from __future__ import annotations

import io

import pytest

from laion_fmri import _bucket, discovery
from laion_fmri.errors import RoiNotFoundError, SubjectNotFoundError


def test_subjects_are_the_union_of_derivative_trees(laion_env):
    # sub-05 has ROIs but no GLMsingle outputs yet
    assert discovery.get_subjects() == ["sub-01", "sub-03", "sub-05"]


def test_rois_of_a_subject_with_hyphens_removed(laion_env, mini):
    expected = sorted(mini.clean(r) for names in mini.ROIS["sub-03"].values() for r in names)
    assert discovery.get_rois("sub-03") == expected
    assert "pSTSfaces" in expected and "lobjects" in expected
    assert discovery.get_rois("sub-03", category="face") == ["FFA1", "FFA2", "OFA", "pSTSfaces"]
    assert discovery.get_rois("03", category="body") == ["EBA", "FBA"]
    assert discovery.get_rois() == discovery.get_rois("sub-01")  # first subject


def test_known_category_a_subject_lacks_is_empty(laion_env):
    assert discovery.get_rois("sub-05", category="place") == []


def test_unknown_subject_has_no_rois_and_warns(laion_env):
    """As in the LAION-fMRI package: [] and a UserWarning, not an error."""
    with pytest.warns(
        UserWarning,
        match=r"No ROIs found for sub-99 under s3://laion-fmri/"
        r"derivatives/rois/sub-99/.*get_subjects",
    ):
        assert discovery.get_rois("sub-99") == []
    with pytest.warns(UserWarning, match="No ROIs found for sub-99"):
        assert discovery.get_rois("99", category="face") == []


@pytest.mark.parametrize("bad", ["", "sub-", "sub-01/..", "../sub-01", 1.5, None, True])
def test_what_cannot_be_a_subject_id(bad):
    with pytest.raises(SubjectNotFoundError, match="subject"):
        discovery.normalize_subject(bad)


def test_empty_bucket_warns_and_gives_nothing(laion_env, make_bucket, monkeypatch):
    empty = make_bucket(public=True)
    monkeypatch.setattr(_bucket, "BUCKET", empty)
    with pytest.warns(UserWarning, match=f"No subjects found in s3://{empty}"):
        assert discovery.get_subjects() == []
    with pytest.warns(UserWarning, match="No subjects found"):
        assert discovery.get_rois() == []


def test_unknown_category_lists_the_categories(laion_env):
    with pytest.raises(RoiNotFoundError, match=r"'faces'.*Categories: body, character, face"):
        discovery.get_rois("sub-01", category="faces")


def test_describe_and_inspect_bucket_print_the_reports(laion_env):
    out = io.StringIO()
    discovery.describe(file=out)
    discovery.inspect_bucket(file=out)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "LAION-fMRI Dataset",
        "  Bucket:    s3://laion-fmri",
        "  Subjects:  3 (sub-01, sub-03, sub-05)",
    ]
    assert lines[3].startswith("  ROIs:      EBA, FFA1, FFA2,")
    assert lines[4:] == [
        "Bucket: s3://laion-fmri",
        "Top-level prefixes (2):",
        "  derivatives/",
        "  stimuli/",
        "derivatives/glmsingle-tedana/: 2 entries, 2 sub-* entries",
        "derivatives/rois/: 3 entries, 3 sub-* entries",
    ]


def test_listing_paginates(laion_env, mini):
    keys = [obj.key for obj in _bucket.list_objects("derivatives/glmsingle-tedana/sub-03/")]
    assert len(keys) > 1000
    assert sum("/figures/" in key for key in keys) == mini.N_FIGURES
    # keys that sort after the figures (past the first page) are there too
    assert any(key.endswith("desc-R2mean_statmap.nii.gz") for key in keys)
    assert any("/ses-02/" in key for key in keys)


def test_requests_are_unsigned_to_us_west_2(laion_env):
    client = _bucket.client()
    assert client.meta.region_name == "us-west-2"
    assert client.meta.config.signature_version.__class__.__name__ != "str"  # UNSIGNED
    assert client.meta.endpoint_url == laion_env["AWS_ENDPOINT_URL"]
