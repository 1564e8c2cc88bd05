"""The seed document's identity examples on a page that runs its own Pyodide.

The page loads the stock npm Pyodide from the build's runtime folder by
itself, installs the pure wheel (``python/`` in the build) with micropip and
calls the documented ``load()`` (docs/python.md), as an app that already runs
Pyodide would. The examples are those of test_identity_examples.py, run
unchanged against that page, on the browser's real cookies.
"""

from __future__ import annotations

import pytest

from tests.e2e import test_identity_examples as examples
from tests.e2e.test_identity_examples import (  # noqa: F401 - collected again here, on the other page
    test_anonymizing_ip_applies_to_that_call_only,
    test_anonymous_id_is_minted_during_initialization,
    test_classic_cookie_example_reads_back_and_is_rewritten_in_analytics_next_format,
    test_clearing_user_and_group_traits,
    test_identify_and_context_traits_on_one_track_only,
    test_override_the_anonymous_id_from_the_snippet,
    test_override_the_anonymous_id_using_the_options_object,
    test_override_the_anonymous_id_with_a_call,
    test_refreshing_identify_with_a_different_user_id,
    test_refreshing_reset_gives_a_new_anonymous_id_and_clears_every_key,
    test_retrieve_the_anonymous_id_and_a_null_one_is_minted_again,
    test_user_and_group_information_in_a_ready_block,
)


@pytest.fixture(autouse=True)
def own_pyodide_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(examples, "PAGE", "/test-pages/own-pyodide.html")
