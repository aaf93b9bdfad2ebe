"""Session pages under /accounts/ (included at the site root by lms/urls.py), and the
admin's login, which is sent to them so lockout and MFA also guard /admin/."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("accounts/signup/done/", views.signup_done, name="signup_done"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/login/mfa/", views.MfaLoginView.as_view(), name="login_mfa"),
    path("accounts/mfa/setup/", views.MfaSetupView.as_view(), name="mfa_setup"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/verify-email/<str:token>/", views.verify_email, name="verify_email"),
    # Before the admin's own URLs in lms/urls.py, so this one answers /admin/login/.
    path("admin/login/", views.admin_login, name="admin_login"),
]
