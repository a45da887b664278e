from django.http import HttpRequest

from .models import Portal


class PortalRequest(HttpRequest):
    """An HttpRequest once PortalMiddleware has run: pages behind it always have a portal."""

    portal: Portal
