"""Categories (two levels) and tags. Admin-managed; each write refreshes catalogue pages."""

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from courses.cache import catalogue_cache_bump, course_cache_bump
from courses.markdown import strip_markup
from courses.models import Category, Course, Tag
from courses.services.common import field_error
from lms.errors import ServiceError


def _name_and_slug(name: str, slug: str | None, *, max_length: int) -> tuple[str, str]:
    name = strip_markup(name or "")
    if not name:
        raise field_error("name", "This field may not be blank.", "blank")
    slug = (slug or slugify(name)).strip().lower()[:max_length]
    if not slug:
        raise field_error("slug", "Give a slug made of letters, digits and hyphens.", "invalid")
    return name, slug


def _bump_courses(course_ids: Any) -> None:
    """Course details show category and tag names: their cached copies go too."""
    for course_id in list(course_ids):
        course_cache_bump(course_id, catalogue=False)


def _category_course_ids(category: Category) -> Any:
    return Course.objects.filter(category__in=[category, *category.children.all()]).values_list(
        "pk", flat=True
    )


def _save_unique(instance: Category | Tag) -> None:
    model = type(instance)
    if model.objects.filter(slug=instance.slug).exclude(pk=instance.pk).exists():
        raise field_error("slug", "This slug is already taken.", "slug_taken")
    instance.full_clean(validate_unique=False, validate_constraints=False)
    instance.save()


@transaction.atomic
def category_create(
    *, name: str, slug: str | None = None, parent: Category | None = None
) -> Category:
    name, slug = _name_and_slug(name, slug, max_length=100)
    category = Category(name=name, slug=slug, parent=parent)
    _save_unique(category)
    catalogue_cache_bump()
    return category


@transaction.atomic
def category_update(*, category: Category, **fields: Any) -> Category:
    """`name`, `slug`, `parent` (None makes it top-level)."""
    unknown = set(fields) - {"name", "slug", "parent"}
    if unknown:
        raise TypeError(f"Not category fields: {', '.join(sorted(unknown))}")
    if "name" in fields or "slug" in fields:
        category.name, category.slug = _name_and_slug(
            fields.get("name", category.name), fields.get("slug", category.slug), max_length=100
        )
    if "parent" in fields:
        category.parent = fields["parent"]
    _save_unique(category)
    _bump_courses(_category_course_ids(category))
    catalogue_cache_bump()
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Courses in it lose their category; a category with subcategories cannot go."""
    affected = list(Course.objects.filter(category=category).values_list("pk", flat=True))
    try:
        category.delete()
    except ProtectedError as exc:
        raise ServiceError(
            "category_has_children", "Delete or move the subcategories first."
        ) from exc
    _bump_courses(affected)
    catalogue_cache_bump()


@transaction.atomic
def tag_create(*, name: str, slug: str | None = None) -> Tag:
    name, slug = _name_and_slug(name, slug, max_length=50)
    tag = Tag(name=name, slug=slug)
    _save_unique(tag)
    catalogue_cache_bump()
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, **fields: Any) -> Tag:
    unknown = set(fields) - {"name", "slug"}
    if unknown:
        raise TypeError(f"Not tag fields: {', '.join(sorted(unknown))}")
    tag.name, tag.slug = _name_and_slug(
        fields.get("name", tag.name), fields.get("slug", tag.slug), max_length=50
    )
    _save_unique(tag)
    _bump_courses(tag.courses.values_list("pk", flat=True))
    catalogue_cache_bump()
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    _bump_courses(tag.courses.values_list("pk", flat=True))
    tag.delete()
    catalogue_cache_bump()
