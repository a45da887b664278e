"""Writes for participatory budgets before and after the vote: staff create, edit and publish a
budget, review and moderate its projects, add projects received on paper and post the winners'
follow-up; residents submit, edit and withdraw projects, support them and comment.

The vote, paper ballots and the count are budget_vote's. Staff services check the actor's role on
the budget's territory again (ADR 0004), so a command or the API cannot skip what a view checks, and
write a line in the territory's journal. What a phase allows is decided here, from the budget's
dates read again inside the transaction under a row lock, so a request that started in one phase
cannot finish in the next. Every refusal is an exception whose text is a French sentence; nothing
is stored when a service refuses.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clocher.territories.images import ProcessedImage
from clocher.territories.models import AuditEntry, Role, Territory
from clocher.territories.selectors import communes_within, roles_of
from clocher.territories.services import EDIT_ROLES, ActionRefused, record_audit

from .budget_selectors import Phase, phase_of
from .budget_vote import rule_fits
from .budgets import (
    BallotKind,
    Budget,
    BudgetBallot,
    BudgetStatus,
    CountingRule,
    Progress,
    Project,
    ProjectComment,
    ProjectPhoto,
    ProjectStatus,
    ProjectSupport,
    ProjectUpdate,
)
from .eligibility import can_take_part, has_verified_email
from .models import Eligibility, Level
from .poll_selectors import eligibility_choices
from .poll_services import MAX_AGE

# Hiding a project or a comment is moderation: the territory's moderators do it beside its editors.
MODERATION_ROLES = (Role.ADMIN, Role.EDITOR, Role.MODERATOR)
MAX_PHOTOS = 3
PHOTO_MAX_SIDE = 2048
# A budget of a thousand billion euros is a typing mistake, not a budget.
MAX_AMOUNT = 10**12
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 2_000
MAX_UPDATE = 5_000
MAX_REASON = 1_000
MAX_POINTS = 10_000
MAX_PROJECTS = 1_000
# Phases in which the vote's rules may still change, and projects may be added or reviewed.
BEFORE_VOTE = (Phase.DRAFT, Phase.ANNOUNCED, Phase.PROPOSALS, Phase.REVIEW)
HIDDEN_ACTION = "participation.budget_project_hidden"


class BudgetRefused(ActionRefused):
    """An action on a budget the rules forbid; `field` names the form field at fault, if one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class BudgetData:
    """What staff write about a budget, as the form cleaned it."""

    title: str
    amount: int
    proposals_opens_at: datetime.datetime
    proposals_closes_at: datetime.datetime
    vote_opens_at: datetime.datetime
    vote_closes_at: datetime.datetime
    description: str = ""
    ballot_kind: str = BallotKind.APPROVAL_BUDGET
    max_projects: int | None = None
    min_projects: int = 1
    points: int | None = None
    rule: str = CountingRule.GREEDY
    territories: list[Territory] = field(default_factory=list)
    min_age: int | None = None
    level: str = Level.EMAIL


@dataclass
class PhotoData:
    """A photo already re-encoded (territories.images.reencode: JPEG, no metadata) and its text."""

    image: ProcessedImage
    alt: str = ""


@dataclass
class ProjectData:
    """What a resident (or staff, for a project received on paper) writes about a project."""

    title: str
    description: str
    estimated_cost: int
    commune: Territory | None = None
    address: str = ""
    photos: list[PhotoData] = field(default_factory=list)


# Staff: budgets -------------------------------------------------------------------------------


def _check_role(actor: Any, territory: Territory, roles: Iterable[str] = EDIT_ROLES) -> None:
    if not roles_of(actor, territory) & set(roles):
        raise BudgetRefused(_("Vous n'avez pas les droits nécessaires sur ce territoire."))


def _clean_budget(territory: Territory, data: BudgetData) -> BudgetData:
    """Refuses what no budget may be; returns the data trimmed, with the fields its ballot kind
    does not use emptied."""
    title = data.title.strip()
    if not title:
        raise BudgetRefused(_("Écrivez le titre du budget."), "title")
    if not 1 <= data.amount <= MAX_AMOUNT:
        raise BudgetRefused(_("L'enveloppe doit être un nombre entier d'euros, au moins 1 €."), "amount")
    if data.ballot_kind not in BallotKind.values:
        raise BudgetRefused(_("Type de vote inconnu."), "ballot_kind")
    if data.rule not in CountingRule.values:
        raise BudgetRefused(_("Règle de dépouillement inconnue."), "rule")
    if not rule_fits(data.ballot_kind, data.rule):
        raise BudgetRefused(_("La méthode des parts égales ne compte pas les bulletins de classement : choisissez "
                              "« les plus soutenus d'abord » ou un autre type de vote."), "rule")
    if data.proposals_closes_at <= data.proposals_opens_at:
        raise BudgetRefused(_("La clôture du dépôt des projets doit venir après son ouverture."),
                            "proposals_closes_at")
    if data.vote_opens_at < data.proposals_closes_at:
        raise BudgetRefused(_("Le vote ne peut ouvrir qu'après la clôture du dépôt des projets."), "vote_opens_at")
    if data.vote_closes_at <= data.vote_opens_at:
        raise BudgetRefused(_("La clôture du vote doit venir après son ouverture."), "vote_closes_at")
    min_projects = data.min_projects
    if not 1 <= min_projects <= MAX_PROJECTS:
        raise BudgetRefused(_("Le nombre de projets au moins doit être compris entre 1 et %(max)s.")
                            % {"max": MAX_PROJECTS}, "min_projects")
    max_projects = data.max_projects if data.ballot_kind != BallotKind.CUMULATIVE else None
    if max_projects is not None and not min_projects <= max_projects <= MAX_PROJECTS:
        raise BudgetRefused(_("Le nombre de projets au plus doit être au moins le nombre de projets au moins."),
                            "max_projects")
    points = data.points if data.ballot_kind == BallotKind.CUMULATIVE else None
    if data.ballot_kind == BallotKind.CUMULATIVE and (points is None or not 1 <= points <= MAX_POINTS):
        raise BudgetRefused(_("Pour un vote par points, indiquez le nombre de points à répartir (de 1 à %(max)s).")
                            % {"max": MAX_POINTS}, "points")
    if data.level not in Level.values:
        raise BudgetRefused(_("Niveau de vérification inconnu."), "level")
    if data.min_age is not None and not 0 <= data.min_age <= MAX_AGE:
        raise BudgetRefused(_("L'âge minimum doit être compris entre 0 et %(max)s ans.") % {"max": MAX_AGE}, "min_age")
    allowed = set(eligibility_choices(territory).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in data.territories):
        raise BudgetRefused(_("Un budget ne peut être réservé qu'aux habitants de votre territoire."), "territories")
    return BudgetData(
        title=title[:200], description=data.description.strip()[:MAX_DESCRIPTION], amount=data.amount,
        ballot_kind=data.ballot_kind, max_projects=max_projects, min_projects=min_projects, points=points,
        rule=data.rule, proposals_opens_at=data.proposals_opens_at, proposals_closes_at=data.proposals_closes_at,
        vote_opens_at=data.vote_opens_at, vote_closes_at=data.vote_closes_at, territories=list(data.territories),
        min_age=data.min_age or None, level=data.level,
    )


def create_budget(actor: Any, territory: Territory, data: BudgetData) -> Budget:
    """A draft budget of `territory`, with its dates, its vote's rules and who may take part.

    Refuses an actor without an admin or editor role on `territory`, phases out of order, an
    envelope under 1 €, a minimum of projects above the maximum, a points vote without points, and
    a reservation to territories outside `territory`. Writes a journal line.
    """
    _check_role(actor, territory)
    clean = _clean_budget(territory, data)
    with transaction.atomic():
        eligibility = Eligibility.objects.create(min_age=clean.min_age, level=clean.level)
        eligibility.territories.set(clean.territories)
        budget = Budget.objects.create(
            territory=territory, title=clean.title, description=clean.description, eligibility=eligibility,
            amount=clean.amount, ballot_kind=clean.ballot_kind, max_projects=clean.max_projects,
            min_projects=clean.min_projects, points=clean.points, rule=clean.rule,
            proposals_opens_at=clean.proposals_opens_at, proposals_closes_at=clean.proposals_closes_at,
            vote_opens_at=clean.vote_opens_at, vote_closes_at=clean.vote_closes_at, author=actor,
        )
        record_audit(territory, actor, "participation.budget_created",
                     _("Budget participatif « %(title)s » créé") % {"title": budget.title}, {"budget": budget.pk})
    return budget


def has_vote_opened(budget: Budget, now: datetime.datetime | None = None) -> bool:
    """Whether ballots may have been cast: published and past the vote's opening."""
    return budget.status == BudgetStatus.PUBLISHED and (now or timezone.now()) >= budget.vote_opens_at


# Once the vote opens, what voters vote under is frozen: the envelope, the ballot, the count, who
# may vote, and the dates already passed. The title, the presentation and the closing date (while
# the vote is open, never to the past) may still change.
FROZEN_ONCE_VOTING = _("Le vote a commencé : seuls le titre, la présentation et la date de clôture du vote "
                       "peuvent encore changer.")


def _frozen_fields_same(budget: Budget, clean: BudgetData) -> bool:
    eligibility = budget.eligibility
    return (
        budget.amount == clean.amount and budget.ballot_kind == clean.ballot_kind
        and budget.max_projects == clean.max_projects and budget.min_projects == clean.min_projects
        and budget.points == clean.points and budget.rule == clean.rule
        and budget.proposals_opens_at == clean.proposals_opens_at
        and budget.proposals_closes_at == clean.proposals_closes_at and budget.vote_opens_at == clean.vote_opens_at
        and eligibility.min_age == clean.min_age and eligibility.level == clean.level
        and set(eligibility.territories.values_list("pk", flat=True)) == {t.pk for t in clean.territories}
    )


def update_budget(actor: Any, budget: Budget, data: BudgetData) -> Budget:
    """Change a budget. Before its vote opens, everything may change, except that a published
    budget's phase cannot be sent back before now (a date already passed stays passed). Once the
    vote has opened, only the title, the presentation and, while the vote is open, its closing date
    (not to the past). Refuses what `create_budget` refuses. Writes a journal line."""
    _check_role(actor, budget.territory)
    clean = _clean_budget(budget.territory, data)
    now = timezone.now()
    with transaction.atomic():
        budget = Budget.objects.select_for_update().select_related("territory", "eligibility").get(pk=budget.pk)
        if has_vote_opened(budget, now) or _ballots_cast(budget):
            if not _frozen_fields_same(budget, clean):
                raise BudgetRefused(FROZEN_ONCE_VOTING)
            if clean.vote_closes_at != budget.vote_closes_at and (
                budget.vote_closes_at <= now or clean.vote_closes_at <= now
            ):
                raise BudgetRefused(_("La clôture du vote ne peut plus changer une fois passée, ni être mise "
                                      "dans le passé."), "vote_closes_at")
        elif budget.status == BudgetStatus.PUBLISHED:
            _check_no_phase_moved_back(budget, clean, now)
        for name in ("title", "description", "vote_closes_at", "amount", "ballot_kind", "max_projects",
                     "min_projects", "points", "rule", "proposals_opens_at", "proposals_closes_at", "vote_opens_at"):
            setattr(budget, name, getattr(clean, name))
        budget.save(update_fields=[
            "title", "description", "vote_closes_at", "amount", "ballot_kind", "max_projects", "min_projects",
            "points", "rule", "proposals_opens_at", "proposals_closes_at", "vote_opens_at", "updated_at",
        ])
        eligibility = budget.eligibility
        eligibility.min_age, eligibility.level = clean.min_age, clean.level
        eligibility.save(update_fields=["min_age", "level"])
        eligibility.territories.set(clean.territories)
        record_audit(budget.territory, actor, "participation.budget_updated",
                     _("Budget participatif « %(title)s » modifié") % {"title": budget.title}, {"budget": budget.pk})
    return budget


def _check_no_phase_moved_back(budget: Budget, clean: BudgetData, now: datetime.datetime) -> None:
    """A published budget's passed dates stay: residents acted under them (proposals submitted)."""
    for name, label in (
        ("proposals_opens_at", _("L'ouverture du dépôt des projets")),
        ("proposals_closes_at", _("La clôture du dépôt des projets")),
    ):
        old, new = getattr(budget, name), getattr(clean, name)
        if old != new and (old <= now or new <= now):
            raise BudgetRefused(_("%(what)s ne peut plus changer une fois passée, ni être mise dans le passé.")
                                % {"what": label}, name)
    if clean.vote_opens_at != budget.vote_opens_at and clean.vote_opens_at <= now:
        raise BudgetRefused(_("L'ouverture du vote ne peut être mise dans le passé : le vote s'ouvrirait "
                              "sans avoir été annoncé."), "vote_opens_at")


def publish_budget(actor: Any, budget: Budget) -> Budget:
    """Make a draft budget visible to residents; each phase then starts at its date.

    Refuses an actor without the role, and a budget whose vote has already closed. Writes a journal line.
    """
    _check_role(actor, budget.territory)
    if budget.status == BudgetStatus.PUBLISHED:
        return budget
    now = timezone.now()
    if budget.vote_closes_at <= now:
        raise BudgetRefused(_("La clôture du vote est passée : changez les dates avant de publier."))
    with transaction.atomic():
        budget.status, budget.published_at = BudgetStatus.PUBLISHED, now
        budget.save(update_fields=["status", "published_at", "updated_at"])
        record_audit(budget.territory, actor, "participation.budget_published",
                     _("Budget participatif « %(title)s » publié") % {"title": budget.title}, {"budget": budget.pk})
    return budget


# Projects -------------------------------------------------------------------------------------


def _ballots_cast(budget: Budget) -> bool:
    """Whether the budget holds ballots: an imported budget is a draft whose ballots were cast
    under its rules and on its list of projects, which then may not change any more than once a
    vote opens."""
    return BudgetBallot.objects.filter(budget_id=budget.pk).exists()


def _locked_phase(budget: Budget) -> str:
    """The budget's phase read again under a row lock, inside the caller's transaction: whatever
    the caller saw before, this is the phase the write happens in."""
    fresh = Budget.objects.select_for_update().get(pk=budget.pk)
    return phase_of(fresh)


def _clean_project(budget: Budget, data: ProjectData) -> ProjectData:
    title = " ".join(data.title.split())
    if not title:
        raise BudgetRefused(_("Donnez un titre au projet."), "title")
    description = data.description.strip()
    if not description:
        raise BudgetRefused(_("Décrivez le projet : ce qu'il apporte, pour qui, où."), "description")
    if len(description) > MAX_DESCRIPTION:
        raise BudgetRefused(_("La description tient en %(max)s caractères au plus.") % {"max": MAX_DESCRIPTION},
                            "description")
    if not 1 <= data.estimated_cost <= budget.amount:
        raise BudgetRefused(
            _("Le coût estimé doit être compris entre 1 € et l'enveloppe du budget (%(amount)s €).")
            % {"amount": _euros(budget.amount)}, "estimated_cost",
        )
    if data.commune is not None and not communes_within(budget.territory).filter(pk=data.commune.pk).exists():
        raise BudgetRefused(_("Cette commune ne fait pas partie du territoire du budget."), "commune")
    if len(data.photos) > MAX_PHOTOS:
        raise BudgetRefused(_("Un projet a %(max)s photos au plus.") % {"max": MAX_PHOTOS}, "photos")
    if any(photo.image.format != "JPEG" for photo in data.photos):
        # The storage names every photo .jpg: only what reencode made into a JPEG comes in.
        raise BudgetRefused(_("Cette photo n'a pas été préparée correctement ; envoyez-la de nouveau."), "photos")
    return ProjectData(
        title=title[:200], description=description, estimated_cost=data.estimated_cost, commune=data.commune,
        address=" ".join(data.address.split())[:200],
        photos=[PhotoData(p.image, " ".join(p.alt.split())[:200]) for p in data.photos],
    )


def _euros(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u202f")


def _add_photos(project: Project, photos: Sequence[PhotoData], update: ProjectUpdate | None = None) -> None:
    for photo in photos:
        row = ProjectPhoto(project=project, update=update, alt=photo.alt, width=photo.image.width,
                           height=photo.image.height)
        row.file.save("photo.jpg", ContentFile(photo.image.content), save=False)
        row.save()


def _give_code(project: Project) -> None:
    """The project's id in Pabulib files: its number, unless an imported project already has it."""
    code = str(project.pk)
    if Project.objects.filter(budget_id=project.budget_id, code=code).exists():
        code = f"{project.pk}-{secrets.token_hex(3)}"
    project.code = code
    project.save(update_fields=["code"])


def _insert_project(budget: Budget, clean: ProjectData, author: Any) -> Project:
    project = Project.objects.create(
        budget=budget, code=f"new-{secrets.token_hex(8)}", author=author, title=clean.title,
        description=clean.description, estimated_cost=clean.estimated_cost, commune=clean.commune,
        address=clean.address,
    )
    _give_code(project)
    _add_photos(project, clean.photos)
    return project


def submit_project(user: Any, budget: Budget, data: ProjectData) -> Project:
    """A resident's project, with up to three photos, during the proposals phase.

    Refuses, storing nothing: a budget not in its proposals phase, a person `can_take_part` turns
    down (every reason at once), an empty title or description, a cost outside 1 € .. the envelope,
    a commune outside the budget's territory, more than three photos.
    """
    decision = can_take_part(user, budget.eligibility)
    if not decision.ok:
        raise BudgetRefused(" ".join(decision.reasons))
    clean = _clean_project(budget, data)
    with transaction.atomic():
        if _locked_phase(budget) != Phase.PROPOSALS:
            raise BudgetRefused(_("Le dépôt des projets n'est pas ouvert."))
        return _insert_project(budget, clean, user)


def _own_open_project(user: Any, project: Project) -> Project:
    """The author's project, locked, while its budget is in the proposals phase (else refused)."""
    if not getattr(user, "is_authenticated", False) or project.author_id != user.pk:
        raise BudgetRefused(_("Seul l'auteur du projet peut le modifier."))
    if _locked_phase(project.budget) != Phase.PROPOSALS:
        raise BudgetRefused(_("Le dépôt des projets est clos : le projet ne peut plus changer."))
    locked = Project.objects.select_for_update().select_related("budget").get(pk=project.pk)
    if locked.status == ProjectStatus.WITHDRAWN:
        raise BudgetRefused(_("Ce projet a été retiré."))
    return locked


def update_project(user: Any, project: Project, data: ProjectData, *, remove_photos: Iterable[int] = ()) -> Project:
    """The author changes their project during the proposals phase, before staff review it: new
    text, cost and place, photos removed (`remove_photos`, ids of its own photos) and added.

    Refuses anyone but the author, outside the proposals phase, a withdrawn or already reviewed
    project, more than three photos in all, and what `submit_project` refuses.
    """
    clean = _clean_project(project.budget, data)
    with transaction.atomic():
        project = _own_open_project(user, project)
        if project.status != ProjectStatus.SUBMITTED:
            raise BudgetRefused(_("Ce projet a déjà été étudié : demandez à la collectivité pour le modifier."))
        removed = {int(pk) for pk in remove_photos}
        kept = project.photos.filter(update__isnull=True).exclude(pk__in=removed)
        if kept.count() + len(clean.photos) > MAX_PHOTOS:
            raise BudgetRefused(_("Un projet a %(max)s photos au plus : retirez-en avant d'en ajouter.")
                                % {"max": MAX_PHOTOS}, "photos")
        for photo in project.photos.filter(update__isnull=True, pk__in=removed):
            _delete_photo(photo)
        project.title, project.description = clean.title, clean.description
        project.estimated_cost, project.commune, project.address = clean.estimated_cost, clean.commune, clean.address
        project.save(update_fields=["title", "description", "estimated_cost", "commune", "address", "updated_at"])
        _add_photos(project, clean.photos)
    return project


def _delete_photo(photo: ProjectPhoto) -> None:
    name, storage = photo.file.name, photo.file.storage
    photo.delete()
    if name:
        # The file goes once the row's deletion is committed: a rolled-back edit keeps its photos.
        transaction.on_commit(lambda: storage.delete(name))


def withdraw_project(user: Any, project: Project) -> Project:
    """The author withdraws their project during the proposals phase: it leaves every public page.

    Refuses anyone but the author, outside the proposals phase, and a project already withdrawn.
    """
    with transaction.atomic():
        project = _own_open_project(user, project)
        project.status = ProjectStatus.WITHDRAWN
        project.save(update_fields=["status", "updated_at"])
    return project


def support_project(user: Any, project: Project) -> bool:
    """`user` supports `project` during the proposals phase; True if this added a support.

    Refuses a person `can_take_part` turns down, outside the proposals phase, a withdrawn, hidden
    or ineligible project. A second support is no error and changes nothing: the unique constraint on
    (project, user) decides, so two clicks at once still count one.
    """
    decision = can_take_part(user, project.budget.eligibility)
    if not decision.ok:
        raise BudgetRefused(" ".join(decision.reasons))
    try:
        with transaction.atomic():
            if _check_supportable(project) == ProjectStatus.INELIGIBLE:
                raise BudgetRefused(_("Ce projet n'est pas recevable : il ne peut plus être soutenu."))
            ProjectSupport.objects.create(project=project, user=user)
            Project.objects.filter(pk=project.pk).update(supports_count=F("supports_count") + 1)
    except IntegrityError:
        if ProjectSupport.objects.filter(project=project, user=user).exists():
            return False
        raise
    return True


def unsupport_project(user: Any, project: Project) -> bool:
    """`user` withdraws their support during the proposals phase; True if there was one."""
    if not getattr(user, "is_authenticated", False):
        raise BudgetRefused(_("Connectez-vous pour participer."))
    with transaction.atomic():
        _check_supportable(project)
        deleted, _rows = ProjectSupport.objects.filter(project=project, user=user).delete()
        if deleted:
            Project.objects.filter(pk=project.pk).update(supports_count=F("supports_count") - 1)
    return bool(deleted)


def _check_supportable(project: Project) -> str:
    """Refuses outside the proposals phase and for a project no longer proposed; returns its status."""
    if _locked_phase(project.budget) != Phase.PROPOSALS:
        raise BudgetRefused(_("Les soutiens ne sont possibles que pendant le dépôt des projets."))
    fresh = Project.objects.filter(pk=project.pk).values("status", "hidden_at").get()
    if fresh["status"] == ProjectStatus.WITHDRAWN or fresh["hidden_at"] is not None:
        raise BudgetRefused(_("Ce projet n'est plus proposé."))
    return str(fresh["status"])


def comment_project(user: Any, project: Project, text: str) -> ProjectComment:
    """A comment by a signed-in person with a verified e-mail address, once the proposals open.

    Refuses a visitor, an address not verified, an empty or too long text, a budget before its
    proposals phase, a withdrawn or hidden project. The text is stored as written and shown escaped.
    """
    if not getattr(user, "is_authenticated", False):
        raise BudgetRefused(_("Connectez-vous pour commenter."))
    if not has_verified_email(user):
        raise BudgetRefused(_("Vérifiez votre adresse e-mail pour commenter."))
    clean = text.strip()
    if not clean:
        raise BudgetRefused(_("Écrivez votre commentaire."), "text")
    if len(clean) > MAX_COMMENT:
        raise BudgetRefused(_("Un commentaire tient en %(max)s caractères au plus.") % {"max": MAX_COMMENT}, "text")
    with transaction.atomic():
        if _locked_phase(project.budget) in (Phase.DRAFT, Phase.ANNOUNCED):
            raise BudgetRefused(_("Les commentaires ouvrent avec le dépôt des projets."))
        fresh = Project.objects.filter(pk=project.pk).values("status", "hidden_at").get()
        if fresh["status"] == ProjectStatus.WITHDRAWN or fresh["hidden_at"] is not None:
            raise BudgetRefused(_("Ce projet n'est plus proposé."))
        name = (getattr(user, "display_name", "") or "").strip() or _("Un habitant")
        return ProjectComment.objects.create(project=project, author=user, author_name=name[:150], text=clean)


# Staff: projects ------------------------------------------------------------------------------


def add_project(actor: Any, budget: Budget, data: ProjectData) -> Project:
    """A project staff enter for a resident who brought it on paper, before the vote opens; it
    then goes through review like any other. Refuses an actor without an admin or editor role,
    once the vote has opened, and what `submit_project` refuses about the project itself (not the
    resident's eligibility: staff vouch for it). Writes a journal line."""
    _check_role(actor, budget.territory)
    clean = _clean_project(budget, data)
    with transaction.atomic():
        if _locked_phase(budget) not in BEFORE_VOTE or _ballots_cast(budget):
            raise BudgetRefused(_("Le vote a commencé : la liste des projets ne peut plus changer."))
        project = _insert_project(budget, clean, None)
        record_audit(budget.territory, actor, "participation.budget_project_added",
                     _("Projet « %(title)s » saisi pour le budget « %(budget)s »")
                     % {"title": project.title, "budget": budget.title},
                     {"budget": budget.pk, "project": project.pk})
    return project


REVIEW_STATUSES = (ProjectStatus.SUBMITTED, ProjectStatus.ELIGIBLE, ProjectStatus.INELIGIBLE)


def review_project(actor: Any, project: Project, status: str, *, reason: str = "",
                   final_cost: int | None = None) -> Project:
    """Staff's decision on a project: eligible (with the cost retained for the vote, the estimate
    when none is given), ineligible (a public reason is required), or back to awaiting review.

    Refuses an actor without an admin or editor role, a withdrawn project, once the vote has opened
    (the ballot is what voters vote on), an ineligible decision without a reason, and a final cost
    above the envelope. Writes a journal line.
    """
    _check_role(actor, project.budget.territory)
    if status not in REVIEW_STATUSES:
        raise BudgetRefused(_("Décision inconnue."), "status")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise BudgetRefused(_("Le motif tient en %(max)s caractères au plus.") % {"max": MAX_REASON}, "reason")
    if status == ProjectStatus.INELIGIBLE and not reason:
        raise BudgetRefused(_("Un projet non recevable doit avoir un motif : il sera publié avec la décision."),
                            "reason")
    budget = project.budget
    if final_cost is not None and not 0 <= final_cost <= budget.amount:
        raise BudgetRefused(_("Le coût retenu doit être compris entre 0 € et l'enveloppe (%(amount)s €).")
                            % {"amount": _euros(budget.amount)}, "final_cost")
    with transaction.atomic():
        if _locked_phase(budget) not in BEFORE_VOTE or _ballots_cast(budget):
            raise BudgetRefused(_("Le vote a commencé : les décisions sur les projets ne peuvent plus changer."))
        project = Project.objects.select_for_update().select_related("budget__territory").get(pk=project.pk)
        if project.status == ProjectStatus.WITHDRAWN:
            raise BudgetRefused(_("Ce projet a été retiré par son auteur."))
        if status == ProjectStatus.ELIGIBLE:
            project.final_cost = final_cost if final_cost is not None else project.estimated_cost
        else:
            project.final_cost = final_cost
        project.status, project.review_reason = status, reason
        reviewed = status != ProjectStatus.SUBMITTED
        project.reviewed_at = timezone.now() if reviewed else None
        project.reviewed_by = actor if reviewed else None
        project.save(update_fields=["status", "review_reason", "final_cost", "reviewed_at", "reviewed_by",
                                    "updated_at"])
        record_audit(budget.territory, actor, "participation.budget_project_reviewed",
                     _("Projet « %(title)s » : %(decision)s")
                     % {"title": project.title, "decision": ProjectStatus(status).label},
                     {"budget": budget.pk, "project": project.pk, "status": status, "final_cost": project.final_cost,
                      "reason": reason})
    return project


def hide_project(actor: Any, project: Project, reason: str) -> Project:
    """Moderation: the project leaves every public page (it stays in the database, its author
    still sees it, with the reason). The reason is kept in the territory's journal, where
    `hidden_reason` reads it: Project has no column for it. Refuses an actor without an admin, editor or moderator role,
    an empty reason, and a project on the vote's ballot once the vote has opened (ballots name it).
    Writes a journal line with the reason."""
    _check_role(actor, project.budget.territory, MODERATION_ROLES)
    reason = _moderation_reason(reason)
    with transaction.atomic():
        phase = _locked_phase(project.budget)
        project = Project.objects.select_for_update().select_related("budget__territory").get(pk=project.pk)
        if project.hidden_at is not None:
            return project
        if (phase not in BEFORE_VOTE or _ballots_cast(project.budget)) and project.status == ProjectStatus.ELIGIBLE:
            raise BudgetRefused(_("Ce projet est soumis au vote : il ne peut plus être masqué."))
        project.hidden_at = timezone.now()
        project.save(update_fields=["hidden_at", "updated_at"])
        record_audit(project.budget.territory, actor, HIDDEN_ACTION,
                     _("Projet « %(title)s » masqué : %(reason)s") % {"title": project.title, "reason": reason},
                     {"budget": project.budget_id, "project": project.pk, "reason": reason})
    return project


def unhide_project(actor: Any, project: Project) -> Project:
    """Moderation undone: the project is public again. Refuses what `hide_project` refuses about
    the actor, and once the vote has opened (the ballot is what voters vote on). Writes a journal line."""
    _check_role(actor, project.budget.territory, MODERATION_ROLES)
    with transaction.atomic():
        phase = _locked_phase(project.budget)
        project = Project.objects.select_for_update().select_related("budget__territory").get(pk=project.pk)
        if project.hidden_at is None:
            return project
        if (phase not in BEFORE_VOTE or _ballots_cast(project.budget)) and project.status == ProjectStatus.ELIGIBLE:
            raise BudgetRefused(_("Le vote a commencé : ce projet ne peut plus revenir sur le bulletin."))
        project.hidden_at = None
        project.save(update_fields=["hidden_at", "updated_at"])
        record_audit(project.budget.territory, actor, "participation.budget_project_shown",
                     _("Projet « %(title)s » de nouveau visible") % {"title": project.title},
                     {"budget": project.budget_id, "project": project.pk})
    return project


def hidden_reasons(projects: Iterable[Project]) -> dict[int, str]:
    """The reason each hidden project among `projects` was hidden for, from the journal's latest
    "hidden" line about it (one query)."""
    hidden = {p.pk: p for p in projects if p.hidden_at is not None}
    if not hidden:
        return {}
    reasons: dict[int, str] = {}
    entries = (
        AuditEntry.objects.filter(action=HIDDEN_ACTION, changes__project__in=list(hidden))
        .order_by("-created_at", "-pk").values_list("changes", flat=True)
    )
    for changes in entries:
        pk = changes.get("project")
        if pk in hidden and pk not in reasons:
            reasons[pk] = str(changes.get("reason", ""))
    return reasons


def _moderation_reason(reason: str) -> str:
    clean = " ".join(reason.split())
    if not clean:
        raise BudgetRefused(_("Indiquez le motif du masquage."), "reason")
    if len(clean) > 200:
        raise BudgetRefused(_("Le motif tient en 200 caractères au plus."), "reason")
    return clean


def hide_comment(actor: Any, comment: ProjectComment, reason: str) -> ProjectComment:
    """Moderation: the comment is replaced by "comment hidden by moderation" on public pages.
    Refuses an actor without an admin, editor or moderator role and an empty reason. Writes a journal line."""
    budget = comment.project.budget
    _check_role(actor, budget.territory, MODERATION_ROLES)
    reason = _moderation_reason(reason)
    with transaction.atomic():
        updated = ProjectComment.objects.filter(pk=comment.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_reason=reason)
        if updated:
            record_audit(budget.territory, actor, "participation.budget_comment_hidden",
                         _("Commentaire de %(name)s masqué : %(reason)s") % {"name": comment.author_name, "reason": reason},
                         {"budget": budget.pk, "project": comment.project_id, "comment": comment.pk, "reason": reason})
    comment.refresh_from_db()
    return comment


def unhide_comment(actor: Any, comment: ProjectComment) -> ProjectComment:
    """Moderation undone for a comment. Refuses an actor without the role. Writes a journal line."""
    budget = comment.project.budget
    _check_role(actor, budget.territory, MODERATION_ROLES)
    with transaction.atomic():
        updated = ProjectComment.objects.filter(pk=comment.pk, hidden_at__isnull=False).update(
            hidden_at=None, hidden_reason="")
        if updated:
            record_audit(budget.territory, actor, "participation.budget_comment_shown",
                         _("Commentaire de %(name)s de nouveau visible") % {"name": comment.author_name},
                         {"budget": budget.pk, "project": comment.project_id, "comment": comment.pk})
    comment.refresh_from_db()
    return comment


# Follow-up ------------------------------------------------------------------------------------


def winning_codes(budget: Budget) -> set[str]:
    """The codes of the projects the published count funded (`Budget.results["winners"]`, the
    counting.Tally's winners as budget_vote stores them), or none before the results are out."""
    if phase_of(budget) != Phase.RESULTS:
        return set()
    winners = budget.results.get("winners") if isinstance(budget.results, dict) else None
    return {str(code) for code in winners} if isinstance(winners, list) else set()


def post_update(actor: Any, project: Project, text: str, progress: str,
                photos: Sequence[PhotoData] = ()) -> ProjectUpdate:
    """Public news of a winning project (the follow-up), with up to three photos; it sets the
    project's progress. Refuses an actor without an admin or editor role, before the results are
    published, a project that did not win, an empty text, an unknown progress. Writes a journal line."""
    budget = project.budget
    _check_role(actor, budget.territory)
    clean = text.strip()
    if not clean:
        raise BudgetRefused(_("Écrivez les nouvelles du projet."), "text")
    if len(clean) > MAX_UPDATE:
        raise BudgetRefused(_("Les nouvelles tiennent en %(max)s caractères au plus.") % {"max": MAX_UPDATE}, "text")
    if progress not in Progress.values:
        raise BudgetRefused(_("Avancement inconnu."), "progress")
    if len(photos) > MAX_PHOTOS:
        raise BudgetRefused(_("Des nouvelles ont %(max)s photos au plus.") % {"max": MAX_PHOTOS}, "photos")
    if any(photo.image.format != "JPEG" for photo in photos):
        raise BudgetRefused(_("Cette photo n'a pas été préparée correctement ; envoyez-la de nouveau."), "photos")
    with transaction.atomic():
        fresh = Budget.objects.select_for_update().get(pk=budget.pk)
        if phase_of(fresh) != Phase.RESULTS:
            raise BudgetRefused(_("Le suivi des projets commence à la publication des résultats."))
        if project.code not in winning_codes(fresh) or project.hidden_at is not None:
            raise BudgetRefused(_("Seuls les projets retenus par le vote ont un suivi."))
        update = ProjectUpdate.objects.create(project=project, text=clean, progress=progress, author=actor)
        _add_photos(project, [PhotoData(p.image, " ".join(p.alt.split())[:200]) for p in photos], update)
        Project.objects.filter(pk=project.pk).update(progress=progress, updated_at=timezone.now())
        project.progress = progress
        record_audit(budget.territory, actor, "participation.budget_update_posted",
                     _("Suivi du projet « %(title)s » : %(progress)s")
                     % {"title": project.title, "progress": Progress(progress).label},
                     {"budget": budget.pk, "project": project.pk, "update": update.pk, "progress": progress})
    return update
