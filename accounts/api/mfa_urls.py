"""MFA paths; included by accounts/api/urls.py under /api/v1/."""

from django.urls import path

from accounts.api.mfa import MfaConfirmView, MfaDisableView, MfaRecoveryCodesView, MfaSetupView

urlpatterns = [
    path("auth/mfa/setup/", MfaSetupView.as_view(), name="mfa-setup"),
    path("auth/mfa/confirm/", MfaConfirmView.as_view(), name="mfa-confirm"),
    path("auth/mfa/disable/", MfaDisableView.as_view(), name="mfa-disable"),
    path("auth/mfa/recovery-codes/", MfaRecoveryCodesView.as_view(), name="mfa-recovery-codes"),
]
