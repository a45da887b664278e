"""API v1: news (filled in by the work on issue 5)."""

from ninja import Router

router = Router(tags=["news"])
