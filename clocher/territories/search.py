"""Finding territories by what a person types: a name or a postcode."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from clocher.core.text import fold

from .models import Territory, TerritoryKind, with_parents


def search_territories(
    query: str,
    *,
    within: QuerySet[Territory] | None = None,
    kinds: tuple[str, ...] = (TerritoryKind.COMMUNE,),
    limit: int = 10,
) -> list[Territory]:
    """Territories whose name or postcode matches `query`, best matches first.

    Accents, case and hyphens do not matter ("saint cricq" finds "Saint-Cricq"). Digits search
    postcodes and INSEE codes by prefix. Names that start with the query come before names that
    merely contain it, then larger populations first, so "auch" gives Auch before Auchy.
    Inactive territories (merged communes) are left out.
    """
    qs = within if within is not None else Territory.objects.all()
    qs = qs.filter(is_active=True, kind__in=kinds)
    text = query.strip()
    if not text:
        return []
    if text.isdigit():
        matched = qs.filter(postcodes__code__startswith=text) | qs.filter(code__startswith=text)
        return list(
            with_parents(matched.distinct()).order_by("-population", "name")[:limit]
        )
    folded = fold(text)
    if not folded:
        return []
    ranked = (
        with_parents(qs.filter(search_name__contains=folded))
        .annotate(
            rank=Case(
                When(search_name=folded, then=Value(0)),
                When(search_name__startswith=folded, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-population", "name")
    )
    return list(ranked[:limit])
