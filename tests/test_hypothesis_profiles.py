"""The hypothesis profiles every property test runs under (tests/conftest.py): CI never flakes."""

from hypothesis import settings

from tests.conftest import DEEP_EXAMPLES, PROPERTY_EXAMPLES, hypothesis_profile


def test_ci_selects_the_derandomized_profile_and_an_explicit_profile_wins():
    assert hypothesis_profile({"CI": "true"}) == "ci"
    assert hypothesis_profile({"CI": "1"}) == "ci"
    assert hypothesis_profile({}) == "dev"
    assert hypothesis_profile({"CI": "false"}) == "dev"
    assert hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "deep"}) == "deep"


def test_the_ci_profile_is_deterministic_with_enough_examples():
    ci = settings.get_profile("ci")
    assert ci.derandomize is True and ci.database is None
    assert ci.max_examples == PROPERTY_EXAMPLES >= 200


def test_the_deep_profile_hunts_with_many_more_random_examples():
    deep = settings.get_profile("deep")
    assert deep.derandomize is False
    assert deep.max_examples == DEEP_EXAMPLES >= 20 * PROPERTY_EXAMPLES
