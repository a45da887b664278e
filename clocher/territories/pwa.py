"""A portal's look and its installable app: colours with enough contrast, manifest, icons, service worker.

Colours come from the Portal row, so a strict Content-Security-Policy (no inline style) holds: the
layout links /theme.css, a small stylesheet made for the portal. Every colour used behind or as
text is darkened until it reaches the WCAG AA ratio (4.5:1) against white, whatever staff chose.
"""

from __future__ import annotations

import hashlib
import io
import json
import re

from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from PIL import Image, ImageDraw

from .http import PortalRequest
from .models import Portal

WHITE = (255, 255, 255)
AA_NORMAL_TEXT = 4.5
HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
FALLBACK_PRIMARY = "#1f5c99"
FALLBACK_ACCENT = "#b34700"
ICON_SIZES = (180, 192, 512)
ICON_CACHE_SECONDS = 60 * 60 * 24
Rgb = tuple[int, int, int]


def parse_colour(value: str, fallback: str) -> Rgb:
    """An "#rrggbb" colour as RGB; anything else (a typo in the admin) falls back."""
    match = HEX_COLOUR.match(value.strip()) or HEX_COLOUR.match(fallback)
    assert match is not None  # the fallback is a valid colour
    digits = match.group(1)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def to_hex(rgb: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: Rgb) -> float:
    """WCAG 2.1 relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Rgb, b: Rgb) -> float:
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def darken_for_contrast(rgb: Rgb, against: Rgb = WHITE, ratio: float = AA_NORMAL_TEXT) -> Rgb:
    """The colour, darkened step by step (hue kept) until it contrasts `ratio`:1 with `against`."""
    colour = rgb
    factor = 1.0
    while contrast_ratio(colour, against) < ratio and factor > 0:
        factor -= 0.02
        colour = (
            round(rgb[0] * factor),
            round(rgb[1] * factor),
            round(rgb[2] * factor),
        )
    return colour


def theme_colours(portal: Portal) -> dict[str, str]:
    """The portal's colours as used on pages: each reaches AA contrast with white and with the tint."""
    chosen = parse_colour(portal.primary_color, FALLBACK_PRIMARY)
    # A pale tint of the primary for card and menu backgrounds.
    tint = (
        round(255 - (255 - chosen[0]) * 0.08),
        round(255 - (255 - chosen[1]) * 0.08),
        round(255 - (255 - chosen[2]) * 0.08),
    )
    # Readable on the tint is readable on white too (the tint is the darker of the two), and
    # white text on it is readable by the same ratio.
    primary = darken_for_contrast(chosen, against=tint)
    accent = darken_for_contrast(parse_colour(portal.accent_color, FALLBACK_ACCENT), against=tint)
    return {
        "primary": to_hex(primary),
        "accent": to_hex(accent),
        "tint": to_hex(tint),
    }


def theme_version(portal: Portal) -> str:
    """Changes whenever what /theme.css or the icons show changes, so they can be cached long."""
    source = f"{portal.pk}:{portal.primary_color}:{portal.accent_color}:{portal.logo.name}"
    return hashlib.sha256(source.encode()).hexdigest()[:10]


@require_GET
def theme_css(request: PortalRequest) -> HttpResponse:
    colours = theme_colours(request.portal)
    body = (
        ":root{"
        f"--primary:{colours['primary']};"
        f"--on-primary:#ffffff;"
        f"--accent:{colours['accent']};"
        f"--tint:{colours['tint']};"
        "}\n"
    )
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    # The layout links it with ?v=<theme_version>, so a colour change gets a new address.
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def manifest(request: PortalRequest) -> JsonResponse:
    portal = request.portal
    colours = theme_colours(portal)
    version = theme_version(portal)
    icons = [
        {
            "src": f"{reverse('icon', kwargs={'size': size})}?v={version}",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": f"{reverse('maskable_icon', kwargs={'size': 512})}?v={version}",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    data = {
        "name": portal.name,
        "short_name": portal.short_name or portal.name[:12],
        "description": portal.description,
        "lang": get_language() or "fr",
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "theme_color": colours["primary"],
        "background_color": "#ffffff",
        "icons": icons,
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _steeple(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    """A white bell tower: the app's mark when the portal has no logo."""
    s = size * scale
    ox = (size - s) / 2
    oy = (size - s) / 2

    def p(x: float, y: float) -> tuple[float, float]:
        return (ox + x * s, oy + y * s)

    white = (255, 255, 255, 255)
    draw.polygon([p(0.5, 0.08), p(0.66, 0.42), p(0.34, 0.42)], fill=white)  # spire
    draw.rectangle([p(0.36, 0.42), p(0.64, 0.9)], fill=white)  # tower
    draw.rectangle([p(0.22, 0.9), p(0.78, 0.95)], fill=white)  # ground
    # The bell opening, cut out in the background colour by the caller's draw.
    draw.rounded_rectangle([p(0.45, 0.5), p(0.55, 0.64)], radius=s * 0.05, fill=(0, 0, 0, 0))


def render_icon(portal: Portal, size: int, *, maskable: bool) -> bytes:
    """A square PNG icon in the portal's colour with its logo (or a bell tower) in the middle.

    A maskable icon keeps its mark inside the central 80 % "safe zone" that launchers may crop to.
    """
    colours = theme_colours(portal)
    background = parse_colour(colours["primary"], FALLBACK_PRIMARY)
    image = Image.new("RGBA", (size, size), (*background, 255))
    scale = 0.56 if maskable else 0.72
    logo = _open_logo(portal)
    if logo is not None:
        box = round(size * scale)
        logo.thumbnail((box, box), Image.Resampling.LANCZOS)
        # A white plate behind the logo: logos are drawn for white paper, not for the colour.
        plate_margin = round(size * 0.04)
        plate = Image.new("RGBA", (logo.width + 2 * plate_margin, logo.height + 2 * plate_margin))
        ImageDraw.Draw(plate).rounded_rectangle(
            [0, 0, plate.width - 1, plate.height - 1], radius=plate_margin * 2, fill=(255, 255, 255, 255)
        )
        plate.alpha_composite(logo, (plate_margin, plate_margin))
        image.alpha_composite(plate, ((size - plate.width) // 2, (size - plate.height) // 2))
    else:
        mark = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        _steeple(ImageDraw.Draw(mark), size, scale)
        image.alpha_composite(mark)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def _open_logo(portal: Portal) -> Image.Image | None:
    if not portal.logo:
        return None
    try:
        with portal.logo.open("rb") as handle:
            logo = Image.open(handle)
            logo.load()
    except (OSError, ValueError):
        # A missing or unreadable logo file must not break the app icon: the bell tower stands in.
        return None
    return logo.convert("RGBA")


def _icon_response(portal: Portal, size: int, *, maskable: bool) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404(_("Taille d'icône inconnue."))
    key = f"clocher:icon:{theme_version(portal)}:{size}:{int(maskable)}"
    png: bytes | None = cache.get(key)
    if png is None:
        png = render_icon(portal, size, maskable=maskable)
        cache.set(key, png, ICON_CACHE_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = f"public, max-age={ICON_CACHE_SECONDS}"
    return response


@require_GET
def icon(request: PortalRequest, size: int) -> HttpResponse:
    return _icon_response(request.portal, size, maskable=False)


@require_GET
def maskable_icon(request: PortalRequest, size: int) -> HttpResponse:
    return _icon_response(request.portal, size, maskable=True)


SHELL_FILES = ("css/clocher.css", "js/app.js", "js/report-queue.js")


@require_GET
def service_worker(request: PortalRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope is the whole portal."""
    portal = request.portal
    shell = [static(path) for path in SHELL_FILES]
    shell.append(f"{reverse('theme_css')}?v={theme_version(portal)}")
    offline_url = reverse("offline")
    # The cache name changes with the shell, so an update drops the old shell.
    version = hashlib.sha256("|".join([*shell, offline_url]).encode()).hexdigest()[:12]
    body = render_to_string(
        "territories/sw.js",
        {
            "shell_json": json.dumps([*shell, offline_url]),
            "offline_json": json.dumps(offline_url),
            "version": version,
            "queue_json": json.dumps(static("js/report-queue.js")),
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at each visit; it must never sit in an HTTP cache.
    response["Cache-Control"] = "no-cache"
    return response
