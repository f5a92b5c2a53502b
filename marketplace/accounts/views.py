"""Login, logout, the dashboard and API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from marketplace.accounts.service import authenticate, issue_token
from marketplace.errors import Unauthenticated
from marketplace.rfq.service import rfqs_for
from marketplace.trades.service import trades_for
from marketplace.web import current_user, db, login_required

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
        lang = session.get("lang")
        session.clear()
        session["user_id"] = user.id
        if lang:
            session["lang"] = lang
        target = request.args.get("next", "")
        return redirect(
            target if target.startswith("/") and not target.startswith("//") else url_for("accounts.dashboard")
        )
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("catalog.index"))


@bp.post("/tokens")
@login_required
def new_token() -> Any:
    token = issue_token(db(), current_user(), request.form.get("name", "api"))
    flash(_("Your new API token (shown once): %(token)s", token=token), "info")
    return redirect(url_for("accounts.dashboard"))
