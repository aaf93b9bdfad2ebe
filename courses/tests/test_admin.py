"""The Django admin: pages render, writes and actions go through the services."""

import pytest
from django.test import Client

from courses.models import Course, CourseStaff, Lesson, Module
from courses.tests.factories import (
    CategoryFactory,
    LessonFactory,
    ModuleFactory,
    publishable_course,
)
from lms.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(team) -> Client:
    client = Client()
    client.force_login(team.admin)
    return client


def test_pages_render(admin_client_, make_course):
    course = make_course(category=CategoryFactory())
    lesson = Lesson.objects.get(module__course=course)
    for path in [
        "/admin/courses/course/",
        "/admin/courses/course/?status__exact=draft&level__exact=all",
        f"/admin/courses/course/?q={course.slug}",
        "/admin/courses/course/add/",
        f"/admin/courses/course/{course.pk}/change/",
        "/admin/courses/lesson/",
        f"/admin/courses/lesson/?module__id__exact={lesson.module_id}",
        f"/admin/courses/lesson/{lesson.pk}/change/",
        "/admin/courses/category/",
        "/admin/courses/tag/",
    ]:
        assert admin_client_.get(path).status_code == 200, path


def test_publish_and_archive_actions_use_the_services(admin_client_, team):
    ready = publishable_course()
    empty = Course.objects.create(title="Empty", slug="empty")
    response = admin_client_.post(
        "/admin/courses/course/",
        {"action": "publish_courses", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    assert response.status_code == 200
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert (ready.status, empty.status) == ("published", "draft")
    assert "1 course(s) published" in response.content.decode()
    assert AuditLog.objects.filter(action="course.published", actor=team.admin).count() == 1
    admin_client_.post(
        "/admin/courses/course/", {"action": "archive_courses", "_selected_action": [ready.pk]}
    )
    ready.refresh_from_db()
    assert ready.status == "archived"


def test_lesson_admin_add_renders_markdown_and_appends(admin_client_, team):
    module = ModuleFactory()
    LessonFactory(module=module)
    response = admin_client_.post(
        "/admin/courses/lesson/add/",
        {
            "module": module.pk,
            "title": "<b>Admin</b> lesson",
            "kind": "text",
            "body": "*hi* <script>x</script>",
            "duration_minutes": 3,
            "required_for_completion": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(title="Admin lesson")
    assert lesson.position == 1
    assert lesson.body_html == "<p><em>hi</em> &lt;script&gt;x&lt;/script&gt;</p>\n"


def test_course_admin_change_keeps_the_last_owner(admin_client_, team, make_course):
    course = make_course()
    owner = CourseStaff.objects.get(course=course, role="owner")
    others = list(CourseStaff.objects.filter(course=course).exclude(pk=owner.pk).order_by("id"))
    module = Module.objects.get(course=course)
    data = {
        "title": course.title,
        "slug": course.slug,
        "subtitle": course.subtitle,
        "description": course.description,
        "language": "en",
        "level": "all",
        "price_amount": 0,
        "currency": "USD",
        "passing_grade": 70,
        "video_complete_percent": 90,
        "modules-TOTAL_FORMS": 1,
        "modules-INITIAL_FORMS": 1,
        "modules-0-id": module.pk,
        "modules-0-course": course.pk,
        "modules-0-title": "Renamed module",
        "staff-TOTAL_FORMS": 3,
        "staff-INITIAL_FORMS": 3,
    }
    for index, member in enumerate([owner, *others]):
        data |= {
            f"staff-{index}-id": member.pk,
            f"staff-{index}-course": course.pk,
            f"staff-{index}-user": member.user_id,
            f"staff-{index}-role": member.role,
        }
    refused = dict(data, **{"staff-0-DELETE": "on", "title": "Changed"})
    response = admin_client_.post(
        f"/admin/courses/course/{course.pk}/change/", refused, follow=True
    )
    assert "at least one owner" in response.content.decode()
    course.refresh_from_db()
    assert course.title != "Changed"  # the whole save was rolled back
    assert CourseStaff.objects.filter(pk=owner.pk).exists()

    accepted = dict(data, title="Changed <i>title</i>")
    response = admin_client_.post(f"/admin/courses/course/{course.pk}/change/", accepted)
    assert response.status_code == 302, response.content.decode()[:3000]
    course.refresh_from_db()
    module.refresh_from_db()
    assert course.title == "Changed title"
    assert module.title == "Renamed module"
