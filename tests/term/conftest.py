from pathlib import Path

import pytest

from tests.term import archives_kit as K


@pytest.fixture(scope="session")
def handin(tmp_path_factory) -> Path:
    """One real hand-in zip, made by the course's hand-in command (notebook + PDF), shared by the
    term tests (they run on one worker: xdist_group "term")."""
    return K.real_handin(tmp_path_factory.mktemp("handins"), "jdoe")
