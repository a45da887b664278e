"""Importers of events from open data: iCalendar files and URLs (ics.py), OpenAgenda
(openagenda.py) and DATAtourisme (datatourisme.py).

Each turns its records into the fields of an event (and, when the source's dates are richer than
one RRULE, a VCALENDAR text), then hands them to `clocher.agenda.services.upsert_imported_event`,
which validates, stores and says whether the event was created, updated or unchanged. Reports and
failures are the directory's (`clocher.directory.importers.ImportReport`, `ImportFailed`).
"""
