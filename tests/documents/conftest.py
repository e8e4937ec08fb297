import pytest

from tests.api.conftest import _clear_throttle_cache, anonymous, api, other_api  # noqa: F401 (the API tests' fixtures)


@pytest.fixture(autouse=True)
def documents_location(settings, tmp_path):
    """Each test stores its files in a directory of its own, so that what it left is its alone."""
    documents = settings.STORAGES["documents"]
    settings.STORAGES = {**settings.STORAGES, "documents": {**documents, "OPTIONS": {**documents.get("OPTIONS", {}), "location": tmp_path}}}
    return tmp_path
