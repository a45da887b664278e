"""The national numbers every portal shows (territory NULL).

Only numbers that are national, free and stable; regional ones (poison control centres) are left to
the collectivities. Short numbers are stored as dialled ("116 117" is displayed with its space and
called as 116117). Running it again updates the rows in place.
"""

from django.db import migrations

# (theme, phone, name, description, hours)
NATIONAL_CONTACTS = [
    ("urgences", "15", "SAMU", "Urgence médicale : malaise, accident, détresse vitale.", "24 h/24, 7 j/7"),
    ("urgences", "17", "Police secours", "Agression, vol, danger pour les personnes : police ou gendarmerie.",
     "24 h/24, 7 j/7"),
    ("urgences", "18", "Sapeurs-pompiers", "Incendie, accident, personne en danger, fuite de gaz.", "24 h/24, 7 j/7"),
    ("urgences", "112", "Numéro d'urgence européen",
     "Toutes les urgences, depuis n'importe quel pays de l'Union européenne, même sans réseau de votre opérateur.",
     "24 h/24, 7 j/7"),
    ("urgences", "114", "Urgences pour les personnes sourdes ou malentendantes",
     "Par SMS, visio, tchat ou fax, pour qui ne peut pas parler ou entendre (aussi en cas de danger "
     "où l'on ne peut pas parler).", "24 h/24, 7 j/7"),
    ("urgences", "196", "Sauvetage en mer", "Urgence en mer ou sur le littoral (CROSS).", "24 h/24, 7 j/7"),
    ("sante", "116 117", "Médecin de garde",
     "Quand votre médecin n'est pas disponible, le soir, le week-end et les jours fériés, hors urgence vitale "
     "(dans les régions où le service est ouvert ; sinon appelez le 15).", ""),
    ("sante", "3114", "Prévention du suicide",
     "Écoute et soutien pour les personnes en détresse et leurs proches, par des professionnels du soin.",
     "24 h/24, 7 j/7"),
    ("social", "115", "Samu social", "Hébergement d'urgence et aide aux personnes sans abri.", "24 h/24, 7 j/7"),
    ("enfance", "119", "Allô enfance en danger",
     "Enfant ou adolescent en danger ou en risque de l'être : l'enfant lui-même ou tout adulte inquiet.",
     "24 h/24, 7 j/7"),
    ("enfance", "3018", "Harcèlement et cyberharcèlement",
     "Numéro national contre le harcèlement, à l'école et en ligne.", ""),
    ("violences", "3919", "Violences Femmes Info",
     "Écoute, information et orientation des femmes victimes de violences, de leurs proches et des témoins. "
     "Anonyme.", "24 h/24, 7 j/7"),
    ("violences", "116 006", "Aide aux victimes (France Victimes)",
     "Écoute et accompagnement des victimes d'infractions.", ""),
    ("seniors", "3977", "Maltraitance des personnes âgées et des adultes handicapés",
     "Écoute et orientation des victimes, de leurs proches et des professionnels.", ""),
]


def fill(apps, schema_editor):
    UsefulContact = apps.get_model("directory", "UsefulContact")
    for position, (theme, phone, name, description, hours) in enumerate(NATIONAL_CONTACTS):
        UsefulContact.objects.update_or_create(
            territory=None, phone=phone,
            defaults={
                "theme": theme, "name": name, "description": description, "hours": hours,
                "position": position,
            },
        )


def empty(apps, schema_editor):
    UsefulContact = apps.get_model("directory", "UsefulContact")
    UsefulContact.objects.filter(territory=None, phone__in=[row[1] for row in NATIONAL_CONTACTS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0001_places_contacts_proposals"),
    ]

    operations = [
        migrations.RunPython(fill, empty),
    ]
