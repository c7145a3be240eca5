"""Packaging a stimulus set and an assembly to S3, then loading them back by identifier."""

from __future__ import annotations

import numpy as np

import brainio.loading


def test_packaged_data_load_back_through_a_catalog(
    make_bucket, s3, tmp_path, register_catalog, package_example
) -> None:
    bucket = make_bucket()
    catalog = tmp_path / "catalog" / "lookup.csv"
    catalog.parent.mkdir()
    packaged = package_example(tmp_path, f"s3://{bucket}/brainio-test", catalog)
    register_catalog(catalog)

    stimulus_set = brainio.loading.get_stimulus_set(packaged.stimulus_set_identifier)
    assert sorted(stimulus_set["stimulus_id"]) == sorted(f"stim_{i}" for i in range(6))
    for stimulus_id in stimulus_set["stimulus_id"]:
        assert stimulus_set.get_stimulus(stimulus_id).is_file()

    assembly = brainio.loading.get_assembly(packaged.assembly_identifier)
    assert type(assembly).__name__ == "NeuroidAssembly"
    expected = packaged.assembly
    np.testing.assert_array_equal(assembly.values, expected.values)
    assert list(assembly["stimulus_id"].values) == list(expected["stimulus_id"].values)
    assert set(assembly["label"].values) == {"label0", "label1", "label2"}  # merged from the CSV

    text = catalog.read_text()
    assert f"s3://{bucket}/brainio-test/assy_" in text  # no endpoint: the reader's applies
    versions = {
        v["Key"]: v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]
    }
    for key, version in versions.items():
        assert version in text, key  # every row records its object's version id
