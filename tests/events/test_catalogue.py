from ansinh.events_cli import CATALOGUE, render_catalogue
from common.settings import SERVICES


def test_docs_events_md_matches_the_code():
    assert CATALOGUE.read_text() == render_catalogue(), "run: ansinh events catalogue --write"


def test_every_service_catalogue_lists_its_canary():
    text = render_catalogue()
    for service in SERVICES:
        assert f"### `{service}.canary.v1`" in text
