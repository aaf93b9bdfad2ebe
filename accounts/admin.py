"""User admin. Role and activation changes, from actions or the change form, go through
the account services, so each one is audited (and a deactivation revokes all tokens)."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from accounts.services.users import user_change_role, user_set_active, user_unlock
from lms.audit.services import audit_diff, audit_log_record
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish

# Access flags edited directly in the form; role and is_active have their own services.
ACCESS_FIELDS = ("is_staff", "is_superuser")


class LockedFilter(admin.SimpleListFilter):
    title = "locked"
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Locked now"), ("no", "Not locked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "is_staff",
        "verified",
        "locked",
    ]
    list_filter = ["role", "is_active", LockedFilter, "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = [
        "email_verified_at",
        "failed_login_count",
        "locked_until",
        "last_login",
        "date_joined",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "role", "timezone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Security", {"fields": ("email_verified_at", "failed_login_count", "locked_until")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
    actions = [
        "activate_users",
        "deactivate_users",
        "unlock_users",
        "make_students",
        "make_instructors",
        "make_admins",
    ]

    @admin.display(boolean=True, description="verified")
    def verified(self, obj: User) -> bool:
        return obj.email_verified_at is not None

    @admin.display(boolean=True, description="locked")
    def locked(self, obj: User) -> bool:
        return obj.is_locked()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # The services refuse changing your own role or deactivating yourself.
            fields += ["role", "is_active", *ACCESS_FIELDS]
        return fields

    # --- actions -------------------------------------------------------------------------

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[User],
        change: Callable[[User], Any],
        done: str,
    ) -> None:
        """Run one service per user; a refusal for one user does not stop the others."""
        changed = 0
        for user in queryset:
            try:
                change(user)
            except ServiceError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} user(s) {done}.", messages.SUCCESS)

    def _actor(self, request: HttpRequest) -> User:
        return cast(User, request.user)  # admin views require a logged-in staff user

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = self._actor(request)
        self._apply(
            request,
            queryset,
            lambda u: user_set_active(user=u, active=True, actor=actor),
            "activated",
        )

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = self._actor(request)
        self._apply(
            request,
            queryset,
            lambda u: user_set_active(user=u, active=False, actor=actor),
            "deactivated",
        )

    @admin.action(description="Unlock selected users", permissions=["change"])
    def unlock_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = self._actor(request)
        self._apply(
            request,
            queryset.exclude(locked_until__isnull=True, failed_login_count=0),
            lambda u: user_unlock(user=u, actor=actor),
            "unlocked",
        )

    def _role_action(self, request: HttpRequest, queryset: QuerySet[User], role: str) -> None:
        actor = self._actor(request)
        self._apply(
            request,
            queryset.exclude(role=role),
            lambda u: user_change_role(user=u, role=role, actor=actor),
            f"changed to {role}",
        )

    @admin.action(description="Change role to student", permissions=["change"])
    def make_students(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._role_action(request, queryset, User.Role.STUDENT)

    @admin.action(description="Change role to instructor", permissions=["change"])
    def make_instructors(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._role_action(request, queryset, User.Role.INSTRUCTOR)

    @admin.action(description="Change role to admin", permissions=["change"])
    def make_admins(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._role_action(request, queryset, User.Role.ADMIN)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """An admin sets someone's password: User.save() ends their sessions; audit and notify."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            with transaction.atomic():
                audit_log_record(
                    actor=self._actor(request),
                    action="user.password_set",
                    target=user,
                )
                outbox_publish(topic="accounts.password_changed", payload={"user_id": user.pk})
        return response

    # --- the change form -----------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        """Save the other fields as usual, then apply role and activation via the services.

        The admin runs this in a transaction with the rest of the form. The services' refusals
        (your own role or account) cannot arise: those fields are read-only on yourself.
        """
        actor = self._actor(request)
        if not change:
            super().save_model(request, obj, form, change)
            audit_log_record(
                actor=actor,
                action="user.created",
                target=obj,
                changes={"role": [None, obj.role], "is_staff": [None, obj.is_staff]},
            )
            return
        stored = User.objects.get(pk=obj.pk)
        role, active = obj.role, obj.is_active
        obj.role, obj.is_active = stored.role, stored.is_active
        super().save_model(request, obj, form, change)
        access = audit_diff(
            before={f: getattr(stored, f) for f in ACCESS_FIELDS},
            after={f: getattr(obj, f) for f in ACCESS_FIELDS},
        )
        if access:
            audit_log_record(
                actor=actor,
                action="user.access_changed",
                target=obj,
                changes=access,
            )
        if role != stored.role:
            user_change_role(user=obj, role=role, actor=actor)
        if active != stored.is_active:
            user_set_active(user=obj, active=active, actor=actor)
