from django.urls import include, path

from accounts.api import auth
from accounts.api.users import MeView, UserAdminViewSet
from lms.api.routers import api_router

api_router.register("users", UserAdminViewSet, basename="user")

urlpatterns = [
    path("auth/register/", auth.RegisterView.as_view(), name="auth-register"),
    path("auth/email/verify/", auth.EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/email/resend/", auth.EmailResendView.as_view(), name="auth-email-resend"),
    path("auth/login/", auth.LoginView.as_view(), name="auth-login"),
    path("auth/login/mfa/", auth.LoginMfaView.as_view(), name="auth-login-mfa"),
    path("auth/refresh/", auth.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/password/change/", auth.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset/", auth.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        auth.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/ws-ticket/", auth.WsTicketView.as_view(), name="auth-ws-ticket"),
    path("users/me/", MeView.as_view(), name="users-me"),
    path("", include("accounts.api.mfa_urls")),
]
