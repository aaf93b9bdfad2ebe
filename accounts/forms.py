"""Forms of the session pages (sign-up, login, MFA step, password reset)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from accounts.services.users import password_reset_request

# One message for unknown email, wrong password, locked and inactive accounts alike, so
# the page never tells which of them it was.
INVALID_LOGIN = (
    "The email or password is not right, or the account is temporarily locked after too "
    "many attempts. Please try again later or reset your password."
)

NOT_VERIFIED = (
    "Confirm your email address first, with the link we emailed you when you signed up. "
    "Lost it? Choose a new password with “Forgot your password?”: that confirms it too."
)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form (authenticate() applies the lockout) with an email field."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(INVALID_LOGIN, code="invalid_login")

    def confirm_login_allowed(self, user: Any) -> None:
        """As the API (`email_not_verified`): only once the address is confirmed. Said
        only to whoever typed the right password, like the API."""
        super().confirm_login_allowed(user)
        if user.email_verified_at is None:
            raise forms.ValidationError(NOT_VERIFIED, code="email_not_verified")


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email leaves through the outbox (see accounts.tasks).

    The service is silent about unknown addresses, so the page answers the same either way.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        password_reset_request(email=self.cleaned_data["email"])


class MfaSetupForm(MfaCodeForm):
    """Confirms a new authenticator: only its current code proves it works."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class SignupForm(forms.Form):
    """A learner signs up on the site; the account works once the emailed link verifies
    the address (accounts.services.users.user_register, as the API's auth/register/)."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 8 characters, not only digits, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords are not the same.")
        return data
