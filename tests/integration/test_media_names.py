"""Uploaded images get random names: media are public, and a draft's or a pending proposal's
image must not be found by counting."""

import re

import pytest

from clocher.agenda.models import _image_path as event_image_path
from clocher.news.models import _image_path as article_image_path
from clocher.organisations.models import _logo_path


@pytest.mark.parametrize(
    ("path_of", "folder"), [(event_image_path, "agenda"), (article_image_path, "news"), (_logo_path, "organisations")]
)
def test_each_image_is_stored_under_an_unguessable_name(path_of, folder):
    first, second = path_of(None, "image.webp"), path_of(None, "image.webp")
    assert re.fullmatch(rf"{folder}/[0-9a-f]{{32}}\.webp", first)
    assert first != second
    assert path_of(None, "../../etc/passwd").endswith(".jpg")
