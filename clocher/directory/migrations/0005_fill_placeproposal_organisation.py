"""Proposals made before the field existed kept their organisation in data["_organisation"]."""

from django.db import migrations


def fill(apps, schema_editor):
    PlaceProposal = apps.get_model("directory", "PlaceProposal")
    Organisation = apps.get_model("organisations", "Organisation")
    known = set(Organisation.objects.values_list("pk", flat=True))
    for proposal in PlaceProposal.objects.filter(organisation__isnull=True).iterator():
        stored = proposal.data.get("_organisation") if isinstance(proposal.data, dict) else None
        pk = stored.get("pk") if isinstance(stored, dict) else None
        if pk in known:
            proposal.organisation_id = pk
            proposal.save(update_fields=["organisation"])


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_placeproposal_organisation"),
        ("organisations", "0001_organisations_members"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
