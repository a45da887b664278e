"""`clocher demo`: a living Gers on this machine, for `make run` and for trying Clocher out.

It loads the real geography of France, the Gers boundaries when the shared data folder is there,
the portal "Le Gers dans ma poche" on 127.0.0.1 / localhost / [::1], Auch and Marciac as joined
communes with their mairie, the Gers département and Auch's intercommunalité, and one account per
staff role. Running it again keeps everything (including passwords) and only fills what is missing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clocher.territories.geography import (
    GeographyError,
    import_boundaries,
    import_territories,
    shared_data_dir,
)
from clocher.territories.models import (
    Collectivity,
    Portal,
    PortalHost,
    Role,
    StaffRole,
    Territory,
    TerritoryKind,
)

GERS = "32"
AUCH = "32013"
MARCIAC = "32233"
HOSTS = ("127.0.0.1", "localhost", "::1")
COMMUNES_FILE = "communes-32-gers.geojson"
DEPARTEMENT_FILE = "departement-32-gers.geojson"

PORTAL = {
    "name": "Le Gers dans ma poche",
    "short_name": "Gers",
    "primary_color": "#7a1f3d",
    "accent_color": "#8a4b00",
    "description": (
        "L'application des habitants du Gers : ce que publient votre commune, votre "
        "intercommunalité et le Département, au même endroit."
    ),
    "publisher_name": "Conseil départemental du Gers",
    "publisher_address": "Hôtel du Département\n81 route de Pessan\nBP 20569\n32022 Auch Cedex 9",
    "publication_director": "Le président du Conseil départemental du Gers",
    "contact_email": "contact@gers.example",
    "dpo_email": "dpo@gers.example",
    "host_name": "Conseil départemental du Gers, direction du numérique",
    "host_address": "81 route de Pessan\n32000 Auch",
    "accessibility_status": "partial",
}

# Demo mairies: real places and websites; telephone numbers from the range ARCEP keeps for
# fiction (05 36 49 xx xx) and e-mail addresses on .example, so nobody is called or written to.
COLLECTIVITIES: dict[tuple[str, str], dict[str, str]] = {
    (TerritoryKind.COMMUNE, AUCH): {
        "description": (
            "Préfecture du Gers, Auch domine la vallée du Gers depuis la cathédrale Sainte-Marie et "
            "son escalier monumental. La mairie vous accueille pour l'état civil, l'urbanisme, les "
            "inscriptions scolaires et la vie associative."
        ),
        "address": "Hôtel de ville\nPlace de la Libération\n32000 Auch",
        "phone": "05 36 49 00 10",
        "email": "accueil@mairie-auch.example",
        "website": "https://www.auch.fr",
        "opening_hours": "Lundi au vendredi : 8 h 30 – 12 h, 13 h 30 – 17 h 30",
    },
    (TerritoryKind.COMMUNE, MARCIAC): {
        "description": (
            "Bastide fondée à la fin du XIIIe siècle, Marciac vit autour de sa grande place à "
            "couverts et accueille chaque été le festival Jazz in Marciac."
        ),
        "address": "Mairie\nPlace de l'Hôtel de ville\n32230 Marciac",
        "phone": "05 36 49 00 20",
        "email": "mairie@marciac.example",
        "website": "https://www.marciac.fr",
        "opening_hours": "Lundi au vendredi : 9 h – 12 h ; mardi et jeudi : 14 h – 17 h",
    },
    (TerritoryKind.DEPARTEMENT, GERS): {
        "description": (
            "Le Département du Gers : routes, collèges, solidarités, tourisme et culture pour toutes les "
            "communes gersoises."
        ),
        "address": "Hôtel du Département\n81 route de Pessan\n32000 Auch",
        "phone": "05 36 49 00 30",
        "email": "contact@gers.example",
        "website": "https://www.gers.fr",
        "opening_hours": "Lundi au vendredi : 8 h 30 – 12 h 30, 13 h 30 – 17 h 30",
    },
}
EPCI_PROFILE = {
    "description": (
        "L'agglomération autour d'Auch : collecte des déchets, transports, développement "
        "économique, petite enfance."
    ),
    "address": "Hôtel de ville\nPlace de la Libération\n32000 Auch",
    "phone": "05 36 49 00 40",
    "email": "contact@grand-auch.example",
    "opening_hours": "Lundi au vendredi : 8 h 30 – 12 h, 13 h 30 – 17 h",
}


@dataclass(frozen=True)
class Account:
    email: str
    display_name: str
    territory: tuple[str, str] | None
    role: str | None


ACCOUNTS = (
    Account("admin@auch.example", "Hélène Dupouy", (TerritoryKind.COMMUNE, AUCH), Role.ADMIN),
    Account("redacteur@auch.example", "Julien Castéra", (TerritoryKind.COMMUNE, AUCH), Role.EDITOR),
    Account("agent@auch.example", "Marc Lafitte", (TerritoryKind.COMMUNE, AUCH), Role.AGENT),
    Account("moderateur@auch.example", "Sophie Baylac", (TerritoryKind.COMMUNE, AUCH), Role.MODERATOR),
    Account("controleur@auch.example", "Karim Ducos", (TerritoryKind.COMMUNE, AUCH), Role.CONTROLLER),
    Account("admin@gers.example", "Claire Sarrade", (TerritoryKind.DEPARTEMENT, GERS), Role.ADMIN),
    Account("habitant@example.org", "Paul Habitant", None, None),
)


class Command(BaseCommand):
    help = "Installe la démonstration « Le Gers dans ma poche » (sans rien effacer si elle existe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reimport", action="store_true",
            help="Recharger le découpage administratif même s'il est déjà en base.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = self.stderr.isatty()
        try:
            self._load_territories(reimport=options["reimport"], progress=progress)
            self._load_boundaries(progress=progress)
        except GeographyError as error:
            raise CommandError(str(error)) from error
        with transaction.atomic():
            portal = self._portal()
            self._collectivities(portal)
            created, existing = self._accounts()
        self._report(portal, created, existing)

    def _say(self, message: str) -> None:
        self.stdout.write(message)

    def _load_territories(self, *, reimport: bool, progress: bool) -> None:
        loaded = (
            Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT, code=GERS).exists()
            and Territory.objects.filter(kind=TerritoryKind.COMMUNE, code=AUCH).exists()
        )
        if loaded and not reimport:
            self._say(
                "Découpage administratif déjà chargé (pour le mettre à jour : "
                "clocher import territories)."
            )
            return
        self._say("Chargement du découpage administratif de la France…")
        summary = import_territories(progress=progress)
        for line in summary.lines():
            self._say("  " + line)
        self._say(f"  Durée : {summary.seconds:.1f} s")

    def _load_boundaries(self, *, progress: bool) -> None:
        folder = shared_data_dir() / "france-geojson"
        if not folder.is_dir():
            self._say(
                f"Dossier des contours absent ({folder}) : la démonstration continue sans contours, "
                "la recherche d'une commune par position ne trouvera rien. Indiquez le dossier des "
                "données partagées avec CLOCHER_SHARED_DATA."
            )
            return
        for name in (COMMUNES_FILE, DEPARTEMENT_FILE):
            path = folder / name
            if not path.is_file():
                self._say(f"Fichier de contours absent, ignoré : {path}")
                continue
            summary = import_boundaries(path, progress=progress)
            self._say(f"Contours de {name} :")
            for line in summary.lines():
                self._say("  " + line)

    def _territory(self, kind: str, code: str) -> Territory:
        found = Territory.objects.filter(kind=kind, code=code).select_related("epci").first()
        if found is None:
            raise CommandError(f"Territoire {kind} {code} absent : lancez « clocher import territories ».")
        return found

    def _portal(self) -> Portal:
        gers = self._territory(TerritoryKind.DEPARTEMENT, GERS)
        portal = Portal.objects.filter(root=gers, name=PORTAL["name"]).first()
        if portal is None:
            portal = Portal.objects.create(root=gers, **PORTAL)
            self._say(f"Portail « {portal.name} » créé.")
        else:
            self._say(f"Portail « {portal.name} » déjà en place (laissé tel quel).")
        for hostname in HOSTS:
            host = PortalHost.objects.filter(hostname=hostname).select_related("portal").first()
            if host is None:
                PortalHost.objects.create(portal=portal, hostname=hostname)
            elif host.portal_id != portal.pk:
                self._say(f"Le nom d'hôte {hostname} sert déjà le portail « {host.portal} » : laissé tel quel.")
        return portal

    def _collectivities(self, portal: Portal) -> None:
        auch = self._territory(TerritoryKind.COMMUNE, AUCH)
        profiles: list[tuple[Territory, dict[str, str]]] = [
            (self._territory(kind, code), profile) for (kind, code), profile in COLLECTIVITIES.items()
        ]
        if auch.epci is not None:
            profiles.append((auch.epci, EPCI_PROFILE))
        for territory, profile in profiles:
            _, created = Collectivity.objects.get_or_create(
                territory=territory, defaults={"portal": portal, **profile}
            )
            self._say(f"{territory} : {'adhère au portail' if created else 'déjà adhérent'}.")

    def _accounts(self) -> tuple[list[tuple[Account, str]], list[Account]]:
        user_model = get_user_model()
        auch = self._territory(TerritoryKind.COMMUNE, AUCH)
        created: list[tuple[Account, str]] = []
        existing: list[Account] = []
        for account in ACCOUNTS:
            user = user_model.objects.filter(email=account.email).first()
            if user is None:
                password = secrets.token_urlsafe(12)
                extra = {"home_commune": auch} if account.role is None else {}
                user = user_model.objects.create_user(
                    email=account.email, password=password, display_name=account.display_name, **extra
                )
                created.append((account, password))
            else:
                existing.append(account)
            # allauth lets nobody in before the address is verified.
            address, _ = EmailAddress.objects.get_or_create(
                user=user, email=account.email, defaults={"verified": True, "primary": True}
            )
            if not address.verified:
                address.verified = True
                address.save(update_fields=["verified"])
            if account.territory is not None and account.role is not None:
                StaffRole.objects.get_or_create(
                    user=user, territory=self._territory(*account.territory), role=account.role
                )
        return created, existing

    def _describe(self, account: Account) -> str:
        if account.territory is None or account.role is None:
            return "habitant·e d'Auch"
        place = "Auch" if account.territory[1] == AUCH else "Département du Gers"
        return f"{Role(account.role).label} · {place}"

    def _report(self, portal: Portal, created: list[tuple[Account, str]], existing: list[Account]) -> None:
        self._say("")
        self._say(self.style.SUCCESS(f"Démonstration prête : {portal.name}."))
        self._say("Il répond sur les noms d'hôte " + ", ".join(HOSTS) + " (make run : http://127.0.0.1:8000/).")
        if created:
            self._say("")
            self._say("Comptes créés — notez les mots de passe, ils ne seront plus affichés :")
            width = max(len(a.email) for a, _ in created)
            for account, password in created:
                self._say(f"  {account.email.ljust(width)}  {password}  ({self._describe(account)})")
        if existing:
            self._say("")
            self._say("Comptes déjà créés (mots de passe inchangés) :")
            width = max(len(a.email) for a in existing)
            for account in existing:
                self._say(f"  {account.email.ljust(width)}  ({self._describe(account)})")
            self._say("Mot de passe perdu : clocher changepassword ADRESSE_E-MAIL")
        self._say("")
        self._say(
            "Les administrateurs devront activer une application d'authentification (TOTP) "
            "à leur première connexion."
        )
