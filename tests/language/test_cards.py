"""Cards of the Brain-Score language catalog: every data set cites its paper."""

from __future__ import annotations

from pathlib import Path

import pytest

from brainio import get_catalog
from brainio_language.plugin import CATALOG_NAME, CATALOG_PATH

FACTS = Path(__file__).parents[2] / "plugins" / "language" / "facts"


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("Pereira2018.language", "pereira2018toward"),
        ("Pereira2018.auditory", "pereira2018toward"),
        ("Blank2014.fROI", "blank2014functional"),
        ("Fedorenko2016.language", "fedorenko2016neural"),
        ("Futrell2018", "futrell2018natural"),
        ("Tuckute2024.language", "Tuckute, Greta"),
    ],
)
def test_every_language_data_set_cites_its_paper(identifier, key):
    card = get_catalog(CATALOG_NAME).card(identifier)
    assert key in card.citation and card.description


def test_committed_card_file_is_what_the_generator_writes(tmp_path):
    from brainscore_cards import make_cards

    (tmp_path / "lookup.csv").write_bytes(CATALOG_PATH.read_bytes())
    make_cards(
        FACTS / "language.csv",
        FACTS / "citations.toml",
        tmp_path / "cards.toml",
        "Brain-Score language",
    )
    assert (tmp_path / "cards.toml").read_text() == CATALOG_PATH.with_name("cards.toml").read_text()
