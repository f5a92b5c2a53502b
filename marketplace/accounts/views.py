"""Login, logout, the dashboard, API tokens and the organization's public profile."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.accounts.models import Role
from marketplace.accounts.schemas import FOUNDED_MIN, NewToken, ProfileIn
from marketplace.accounts.service import (
    MAX_TOKEN_DAYS,
    TOKEN_DAYS,
    authenticate,
    issue_token,
    profile_editor,
    revoke_token,
    tokens_of,
    update_profile,
)
from marketplace.errors import Unauthenticated
from marketplace.rfq.service import rfqs_for
from marketplace.trades.service import trades_for
from marketplace.validate import parse_form
from marketplace.web import (
    current_user,
    db,
    form_of,
    local_path,
    login_required,
    select_locale,
    sign_in,
    sign_out,
)

bp = Blueprint("accounts", __name__)


@bp.get("/")
def home() -> Any:
    if current_user() is None:
        return redirect(url_for("catalog.index"))
    return redirect(url_for("accounts.dashboard"))


@bp.get("/dashboard")
@login_required
def dashboard() -> Any:
    user = current_user()
    return render_template("dashboard.html", rfqs=rfqs_for(db(), user), trades=trades_for(db(), user))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        try:
            user = authenticate(db(), request.form.get("email", ""), request.form.get("password", ""))
        except Unauthenticated as exc:
            flash(exc.translated(_), "error")
            return render_template("login.html"), 401
        sign_in(user)
        return redirect(local_path(request.args.get("next")) or url_for("accounts.dashboard"))
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    return redirect(url_for("catalog.index"))


def _tokens_page(new_token: str | None = None) -> Any:
    return render_template(
        "tokens.html",
        tokens=tokens_of(db(), current_user()),
        new_token=new_token,
        default_days=TOKEN_DAYS,
        max_days=MAX_TOKEN_DAYS,
    )


@bp.get("/tokens")
@login_required
def tokens() -> Any:
    return _tokens_page()


@bp.post("/tokens")
@login_required
def new_token() -> Any:
    """The new token appears once, in this response only: never in a flash or the session cookie."""
    wanted = form_of(NewToken)
    _row, plain = issue_token(db(), current_user(), wanted.name, wanted.days)
    return _tokens_page(new_token=plain)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    row = revoke_token(db(), current_user(), token_id)
    flash(_("The API token “%(name)s” was revoked.", name=row.name), "info")
    return redirect(url_for("accounts.tokens"))


def profile_form(form: Any) -> ProfileIn:
    """The profile form: certifications one per line, languages separated by commas or spaces."""
    fields: dict[str, object] = {
        "founded_year": form.get("founded_year", ""),
        "certifications": [line.strip() for line in form.get("certifications", "").splitlines() if line.strip()],
        "languages": [code for code in form.get("languages", "").replace(",", " ").split() if code],
    }
    return parse_form(ProfileIn, fields, select_locale())


@bp.route("/org/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    user = current_user()
    if request.method == "POST":
        profile_editor(user)
        wanted = profile_form(request.form)
        update_profile(db(), user, **wanted.model_dump())
        flash(_("The profile was saved."), "info")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        org=user.organization,
        editable=user.role == Role.ADMIN,
        first_year=FOUNDED_MIN,
        last_year=date.today().year,
        certification_example="ISO 9001:2015",
        languages_example="en, de, ja",
    )
