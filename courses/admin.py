"""Courses in the Django admin. Every write goes through the services, so Markdown is
rendered, titles cleaned, positions kept dense, the search vector and cache versions
refreshed, and publishing validated and audited (publish/archive are actions)."""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponseRedirect

from accounts.models import User
from courses import services
from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag
from courses.services.courses import COURSE_FIELDS
from courses.services.structure import LESSON_FIELDS
from lms.errors import ServiceError


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)  # admin views require a logged-in staff user


def _changed(form: ModelForm, allowed: frozenset[str]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in allowed}


def _guarded_changeform(
    admin_: admin.ModelAdmin,
    request: HttpRequest,
    view: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> Any:
    """A service refusal (invalid field, last owner, a published course's last lesson...)
    rolls the whole save back (inlines included) and shows the reason on the same page."""
    try:
        with transaction.atomic():
            return view(request, *args, **kwargs)
    except (ServiceError, ValidationError) as exc:
        admin_.message_user(request, _explain(exc), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ["title", "position"]
    readonly_fields = ["position"]
    ordering = ["position"]
    extra = 0
    show_change_link = True


class CourseStaffInline(admin.TabularInline):
    model = CourseStaff
    fields = ["user", "role"]
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "status",
        "category",
        "level",
        "language",
        "price_amount",
        "currency",
        "enrollment_count",
        "published_at",
    ]
    list_filter = ["status", "category", "level", "language"]
    search_fields = ["title", "slug"]
    list_select_related = ["category"]
    filter_horizontal = ["tags"]
    readonly_fields = [
        "status",
        "published_at",
        "archived_at",
        "enrollment_count",
        "description_html",
        "created_at",
        "updated_at",
    ]
    fieldsets = (
        (None, {"fields": ("title", "slug", "subtitle", "status", "published_at", "archived_at")}),
        ("Description", {"fields": ("description", "description_html", "cover_image")}),
        ("Catalogue", {"fields": ("category", "tags", "language", "level", "estimated_hours")}),
        ("Price", {"fields": ("price_amount", "currency")}),
        (
            "Dates and capacity",
            {
                "fields": (
                    "enrollment_opens_at",
                    "enrollment_closes_at",
                    "starts_at",
                    "ends_at",
                    "capacity",
                    "passing_grade",
                    "video_complete_percent",
                )
            },
        ),
        ("Counters", {"fields": ("enrollment_count", "created_at", "updated_at")}),
    )
    inlines = [ModuleInline, CourseStaffInline]
    actions = ["publish_courses", "archive_courses"]

    def save_model(self, request: HttpRequest, obj: Course, form: ModelForm, change: bool) -> None:
        """Through the services. Tags are saved here too (save_related skips them)."""
        fields = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in COURSE_FIELDS
        }
        if fields.get("cover_image") is False:  # the "clear" box
            fields["cover_image"] = None
        if not change:
            fields = {k: v for k, v in fields.items() if v is not None and v != ""}
        if change:
            fresh = Course.objects.get(pk=obj.pk)
            services.course_update(course=fresh, by=_actor(request), **fields)
        else:
            title = fields.pop("title")
            fresh = services.course_create(by=_actor(request), title=title, **fields)
        obj.pk = fresh.pk
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # The m2m (tags) went through the service in save_model; only inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        course: Course = form.instance
        # What the admin's change message reads (formset.save() would set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is Module:
            self._save_modules(course, formset)
        elif formset.model is CourseStaff:
            self._save_staff(request, course, formset)
        else:  # pragma: no cover
            super().save_formset(request, form, formset, change)

    def _save_modules(self, course: Course, formset: BaseInlineFormSet) -> None:
        for inline in formset.deleted_forms:
            if inline.instance.pk:
                services.module_delete(module=inline.instance)
                formset.deleted_objects.append(inline.instance)
        for inline in formset.forms:
            if inline in formset.deleted_forms or not inline.has_changed():
                continue
            title = inline.cleaned_data["title"]
            if inline.instance.pk:
                module = services.module_update(module=inline.instance, title=title)
                formset.changed_objects.append((module, inline.changed_data))
            else:
                formset.new_objects.append(services.module_create(course=course, title=title))

    def _save_staff(self, request: HttpRequest, course: Course, formset: BaseInlineFormSet) -> None:
        by = _actor(request)
        for inline in formset.forms:
            if inline in formset.deleted_forms or not inline.has_changed():
                continue
            member = inline.instance
            if member.pk:
                if "user" in inline.changed_data:
                    raise ValidationError("Remove the member and add the new person instead.")
                changed = services.course_staff_change_role(
                    member=member, role=inline.cleaned_data["role"], by=by
                )
                formset.changed_objects.append((changed, inline.changed_data))
            else:
                added = services.course_staff_add(
                    course=course,
                    email=inline.cleaned_data["user"].email,
                    role=inline.cleaned_data["role"],
                    by=by,
                )
                formset.new_objects.append(added)
        for inline in formset.deleted_forms:
            if inline.instance.pk:
                services.course_staff_remove(member=inline.instance, by=by)
                formset.deleted_objects.append(inline.instance)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return _guarded_changeform(self, request, super().changeform_view, *args, **kwargs)

    def delete_model(self, request: HttpRequest, obj: Course) -> None:
        services.course_delete(course=obj, by=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        for course in queryset:
            self._apply(
                request,
                course,
                lambda c: services.course_delete(course=c, by=_actor(request)),
            )

    def _apply(self, request: HttpRequest, course: Course, change: Callable[[Course], Any]) -> bool:
        try:
            change(course)
        except (ServiceError, ValidationError) as exc:
            self.message_user(request, f"{course}: {_explain(exc)}", messages.ERROR)
            return False
        return True

    def _bulk(
        self,
        request: HttpRequest,
        queryset: QuerySet[Course],
        change: Callable[[Course], Any],
        done: str,
    ) -> None:
        count = sum(self._apply(request, course, change) for course in queryset)
        if count:
            self.message_user(request, f"{count} course(s) {done}.", messages.SUCCESS)

    @admin.action(description="Publish selected courses", permissions=["change"])
    def publish_courses(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        self._bulk(
            request,
            queryset,
            lambda c: services.course_publish(course=c, by=_actor(request)),
            "published",
        )

    @admin.action(description="Archive selected courses", permissions=["change"])
    def archive_courses(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        self._bulk(
            request,
            queryset,
            lambda c: services.course_archive(course=c, by=_actor(request)),
            "archived",
        )


def _explain(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    return "; ".join(cast(ValidationError, exc).messages)


class LessonForm(ModelForm):
    video_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    link_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Lesson
        fields = [
            "module",
            "title",
            "kind",
            "body",
            "video_url",
            "file",
            "link_url",
            "duration_minutes",
            "is_preview",
            "required_for_completion",
            "release_at",
            "release_after_days",
            "requires_prerequisites",
        ]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    form = LessonForm
    list_display = ["title", "module", "course", "position", "kind", "is_preview"]
    list_filter = ["kind", ("module", admin.RelatedOnlyFieldListFilter), "module__course"]
    search_fields = ["title", "module__title", "module__course__title", "module__course__slug"]
    list_select_related = ["module__course"]
    raw_id_fields = ["module"]
    readonly_fields = ["position", "body_html", "created_at", "updated_at"]
    ordering = ["module__course", "module__position", "position"]

    @admin.display(description="course", ordering="module__course__title")
    def course(self, obj: Lesson) -> Course:
        return obj.module.course

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("module")  # moves go through lesson_move (the API's reorder)
        return fields

    def save_model(self, request: HttpRequest, obj: Lesson, form: ModelForm, change: bool) -> None:
        if change:
            fresh = Lesson.objects.get(pk=obj.pk)
            services.lesson_update(lesson=fresh, **_changed(form, LESSON_FIELDS))
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k in LESSON_FIELDS}
            title = data.pop("title")
            fresh = services.lesson_create(module=form.cleaned_data["module"], title=title, **data)
        obj.pk = fresh.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Lesson) -> None:
        services.lesson_delete(lesson=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Lesson]) -> None:
        for lesson in queryset:
            services.lesson_delete(lesson=lesson)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return _guarded_changeform(self, request, super().changeform_view, *args, **kwargs)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def save_model(
        self, request: HttpRequest, obj: Category, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            services.category_update(
                category=Category.objects.get(pk=obj.pk),
                name=data["name"],
                slug=data["slug"],
                parent=data["parent"],
            )
        else:
            obj.pk = services.category_create(
                name=data["name"], slug=data["slug"], parent=data["parent"]
            ).pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        services.category_delete(category=obj)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request: HttpRequest, obj: Tag, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.tag_update(
                tag=Tag.objects.get(pk=obj.pk), name=data["name"], slug=data["slug"]
            )
        else:
            obj.pk = services.tag_create(name=data["name"], slug=data["slug"]).pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        services.tag_delete(tag=obj)
