"""Cards of the Brain-Score vision catalog: the data plugins' citations, regenerated the same."""

from __future__ import annotations

from pathlib import Path

from brainscore_cards import bibtex_field, build_cards, render

from brainio import get_catalog
from brainio_vision.plugin import CATALOG_NAME, CATALOG_PATH

FACTS = Path(__file__).parents[2] / "plugins" / "vision" / "facts"


def test_majajhong2015_card_cites_the_paper():
    card = get_catalog(CATALOG_NAME).card("dicarlo.MajajHong2015.public")
    assert card.citation.startswith("@article{majajhong2015simple")
    assert "Simple learned weighted sums of inferior temporal neuronal firing rates" in (
        card.description
    )
    assert "'majajhong2015'" in card.description
    assert card.registry_key == "MajajHong2015.public" and card.access == "public"
    stimuli = get_catalog(CATALOG_NAME).card("hvm-public")
    assert stimuli.citation == card.citation  # same plugin, same paper


def test_cards_link_to_the_doi_where_the_bibtex_has_one():
    card = get_catalog(CATALOG_NAME).card("dicarlo.Kar2019")
    assert card.url == "https://doi.org/10.1038/s41593-019-0392-5"


def test_data_sets_of_plugins_without_bibtex_say_where_they_come_from():
    card = get_catalog(CATALOG_NAME).card("Ferguson2024_circle_line")
    assert card.citation is None and "'ferguson2024'" in card.description


def test_every_catalog_identifier_has_a_card():
    cards = build_cards(
        FACTS / "vision.csv", FACTS / "citations.toml", CATALOG_PATH, "Brain-Score vision"
    )
    carded = {identifier for card in cards for identifier in card["identifiers"]}
    catalog = get_catalog(CATALOG_NAME)
    assert set(catalog["identifier"]) == carded
    cited = sum(1 for card in cards if "citation" in card)
    assert cited == 30


def test_committed_card_file_is_what_the_generator_writes(tmp_path):
    copy = tmp_path / "lookup.csv"
    copy.write_bytes(CATALOG_PATH.read_bytes())
    from brainscore_cards import make_cards

    make_cards(
        FACTS / "vision.csv",
        FACTS / "citations.toml",
        tmp_path / "cards.toml",
        "Brain-Score vision",
    )
    assert (tmp_path / "cards.toml").read_text() == CATALOG_PATH.with_name("cards.toml").read_text()


def test_bibtex_fields_with_nested_braces_and_quotes():
    bibtex = '@article{x,\n title = "{Grouping of {V}ernier}",\n doi={https://doi.org/10.1/y},}'
    assert bibtex_field(bibtex, "title") == "Grouping of Vernier"
    assert bibtex_field(bibtex, "doi") == "https://doi.org/10.1/y"
    assert bibtex_field(bibtex, "year") is None
    assert render([{"identifiers": ["a"], "citation": "x\ny"}], "h") == (
        "# h\n\n[[card]]\nidentifiers = [\n    \"a\",\n]\ncitation = '''x\ny'''\n"
    )
