"""Background work of the imports: synchronising one source.

`clocher import due` (run by cron or a systemd timer, docs/deploy.md) enqueues this task for each
source whose interval has passed; staff enqueue it from the sources page ("synchroniser
maintenant"). The database worker (`clocher db_worker`) runs it.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .models import ImportSource
from .services import sync_source


@task()
def sync_source_task(source_id: int) -> dict[str, Any]:
    """Synchronises the source if it still exists and is enabled; returns what the run did."""
    source = ImportSource.objects.select_related("territory", "organisation").filter(pk=source_id).first()
    if source is None or not source.enabled:
        return {"source": source_id, "ran": False}
    run = sync_source(source)
    return {
        "source": source_id, "ran": True, "run": run.pk, "outcome": run.outcome,
        "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
        "rejected": run.rejected, "unpublished": run.unpublished,
    }
