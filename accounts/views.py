"""Session pages: sign-up, login with the MFA step, password reset, email verification.
Django's auth views do the work; these add the second step and send people home."""

import base64
import time
from typing import Any, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import (
    EmailAuthenticationForm,
    MfaCodeForm,
    MfaSetupForm,
    OutboxPasswordResetForm,
    SignupForm,
)
from accounts.home import home_url_for
from accounts.models import User
from accounts.services.login import login_failure_record, login_failures_clear
from accounts.services.mfa import mfa_confirm, mfa_enabled, mfa_setup_begin, mfa_verify
from accounts.services.users import email_verify, password_reset_confirm, user_register
from lms.errors import ServiceError

PENDING_KEY = "accounts_login_pending"
PURPOSE_MFA = "mfa"
PURPOSE_SETUP = "mfa_setup"


# --- the state between the password step and the MFA step ---------------------------------


def _pending_start(request: HttpRequest, *, user: User, purpose: str, next_url: str) -> None:
    """Remember who passed the password step; the user is not logged in yet."""
    request.session.cycle_key()  # the half-logged-in session gets a fresh id
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "purpose": purpose,
        "started_at": time.time(),
        "next": next_url,
        # A password changed meanwhile ends the pending login, as it ends sessions.
        "auth_hash": user.get_session_auth_hash(),
    }


def _pending_user(request: HttpRequest, purpose: str) -> User | None:
    """The user waiting for this step, while the state is fresh and the account usable."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or state.get("purpose") != purpose:
        return None
    if time.time() - float(state.get("started_at", 0)) > settings.MFA_TOKEN_TTL.total_seconds():
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=int(state.get("user_id") or 0), is_active=True).first()
    if user is None or user.is_locked() or user.get_session_auth_hash() != state.get("auth_hash"):
        request.session.pop(PENDING_KEY, None)
        return None
    return user


def _pending_finish(request: HttpRequest, user: User) -> str:
    """Log the user in now that every step passed; returns where to go next."""
    state = request.session.pop(PENDING_KEY, {})
    auth_login(request, user)
    login_failures_clear(user=user)
    return _safe_next(request, state.get("next", ""), home_url_for(user))


def _safe_next(request: HttpRequest, url: str, default: str) -> str:
    """url if it stays on this site, else the default (the user's home)."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else default


def _login_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, "Your sign-in expired. Please enter your email and password again.")
    return redirect("accounts:login")


# --- pages ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Step one. Users with MFA (or who must set it up) continue to step two. Without a
    safe `next`, everyone lands on their home (accounts.home)."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm

    def get_default_redirect_url(self) -> str:
        return home_url_for(self.request.user)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = cast(User, form.get_user())
        next_url = self.get_redirect_url()
        if mfa_enabled(user):
            _pending_start(self.request, user=user, purpose=PURPOSE_MFA, next_url=next_url)
            return redirect("accounts:login_mfa")
        if user.role in settings.MFA_REQUIRED_ROLES:
            _pending_start(self.request, user=user, purpose=PURPOSE_SETUP, next_url=next_url)
            return redirect("accounts:mfa_setup")
        return super().form_valid(form)


@method_decorator([sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch")
class MfaLoginView(View):
    """Step two: a TOTP or recovery code. Wrong codes count towards the lockout."""

    template_name = "accounts/login_mfa.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if _pending_user(request, PURPOSE_MFA) is None:
            return _login_again(request)
        return render(request, self.template_name, {"form": MfaCodeForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _pending_user(request, PURPOSE_MFA)
        if user is None:
            return _login_again(request)
        form = MfaCodeForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                accepted = mfa_verify(user=user, code=form.cleaned_data["code"])
                if not accepted:
                    login_failure_record(user=user)
            if accepted:
                return HttpResponseRedirect(_pending_finish(request, user))
            form.add_error("code", "That code is not right, or it was already used.")
        return render(request, self.template_name, {"form": form}, status=400)


@method_decorator([sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch")
class MfaSetupView(View):
    """For roles that must use MFA: set it up before the login completes.

    Also open to a logged-in user without MFA. The QR code holds the secret, so the page
    is never cached.
    """

    template_name = "accounts/mfa_setup.html"

    def _user(self, request: HttpRequest) -> tuple[User | None, bool]:
        if request.user.is_authenticated:
            return cast(User, request.user), False
        return _pending_user(request, PURPOSE_SETUP), True

    def get(self, request: HttpRequest) -> HttpResponse:
        user, pending = self._user(request)
        if user is None:
            return _login_again(request)
        try:
            setup = mfa_setup_begin(user=user)
        except ServiceError:  # already enabled
            return redirect(home_url_for(user))
        qr = base64.b64encode(setup.qr_svg.encode()).decode()
        context = {
            "form": MfaSetupForm(),
            "qr_data_uri": f"data:image/svg+xml;base64,{qr}",
            "secret": setup.secret,
            "required": pending,
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user, pending = self._user(request)
        if user is None:
            return _login_again(request)
        form = MfaSetupForm(request.POST)
        if form.is_valid():
            try:
                codes = mfa_confirm(user=user, code=form.cleaned_data["code"])
            except ValidationError:  # the code
                form.add_error("code", "That code is not right. Enter the current one.")
            except ServiceError:  # not started (or finished meanwhile)
                form.add_error(None, "Setup has not started. Reload the page to begin.")
            else:
                next_url = _pending_finish(request, user) if pending else home_url_for(user)
                done = {"codes": codes, "next_url": next_url}
                return render(request, "accounts/mfa_recovery_codes.html", done)
        return render(request, self.template_name, {"form": form, "required": pending}, status=400)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's link handling; the new password is set by the service, which also ends
    every session and token of the user and sends the password-changed notice."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN, "")
        try:
            password_reset_confirm(
                uidb64=self.kwargs["uidb64"],
                token=token,
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError:  # the link is invalid or has expired
            self.validlink = False
            return self.render_to_response(self.get_context_data(form=None))
        finally:
            self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule since 5.0): a link or an image cannot log anyone out."""


@method_decorator(
    [sensitive_post_parameters("password", "password_confirm"), csrf_protect, never_cache],
    name="dispatch",
)
class SignupView(View):
    """A learner creates an account (unverified: the emailed link verifies it). Someone
    already signed in is sent home."""

    template_name = "accounts/signup.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(home_url_for(request.user))
        return render(request, self.template_name, {"form": SignupForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(home_url_for(request.user))
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                user_register(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                )
            except ValidationError as exc:  # a taken address, a weak password: their fields
                form.add_error(None, exc)
            else:
                return redirect("accounts:signup_done")
        return render(request, self.template_name, {"form": form}, status=400)


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_done.html")


@never_cache
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = email_verify(token=token)
    except ValidationError:
        return render(request, "accounts/verify_email.html", {"verified": False}, status=400)
    return render(request, "accounts/verify_email.html", {"verified": True, "email": user.email})


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the session login, so lockout and MFA guard it too."""
    if request.user.is_authenticated:
        if not admin.site.has_permission(request):
            raise PermissionDenied  # a student or instructor: no admin, and no redirect loop
        return redirect(_safe_next(request, request.GET.get("next", ""), reverse("admin:index")))
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
