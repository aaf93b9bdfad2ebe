"""The Django admin: enrollment and completion pages load with their filters and search;
rollups are read-only; accommodations go through the service; nothing is added or deleted
around the services."""

from decimal import Decimal

import pytest
from django.test import Client

from enrollments.models import Enrollment, LessonCompletion
from enrollments.services import enrollment_create, lesson_complete
from lms.audit.models import AuditLog
from lms.testing import course_lessons

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


@pytest.fixture
def enrollment(cast, course) -> Enrollment:
    enrollment = enrollment_create(user=cast.student, course=course)
    enrollment, _ = lesson_complete(enrollment=enrollment, lesson=course_lessons(course)[0])
    return enrollment


def test_pages_render(admin_client_, enrollment, course):
    completion = LessonCompletion.objects.get(enrollment=enrollment)
    for path in [
        "/admin/enrollments/enrollment/",
        "/admin/enrollments/enrollment/?status__exact=active&source__exact=self",
        f"/admin/enrollments/enrollment/?course__id__exact={course.pk}",
        f"/admin/enrollments/enrollment/?q={enrollment.user.email}",
        f"/admin/enrollments/enrollment/{enrollment.pk}/change/",
        "/admin/enrollments/lessoncompletion/",
        f"/admin/enrollments/lessoncompletion/?q={course.slug}",
        f"/admin/enrollments/lessoncompletion/{completion.pk}/change/",
    ]:
        assert admin_client_.get(path).status_code == 200, path


def test_list_shows_the_columns_and_search_narrows(admin_client_, enrollment, cast, course):
    response = admin_client_.get("/admin/enrollments/enrollment/", {"q": cast.student.email})
    assert list(response.context["cl"].result_list) == [enrollment]
    html = response.content.decode()
    for header in ("Course", "User", "Status", "Percent", "Source", "Enrolled at"):
        assert header in html
    none = admin_client_.get("/admin/enrollments/enrollment/", {"q": "nobody@nowhere"})
    assert list(none.context["cl"].result_list) == []
    filtered = admin_client_.get("/admin/enrollments/enrollment/", {"status__exact": "dropped"})
    assert list(filtered.context["cl"].result_list) == []


def test_rollup_is_read_only_and_accommodations_go_through_the_service(admin_client_, enrollment):
    url = f"/admin/enrollments/enrollment/{enrollment.pk}/change/"
    form = admin_client_.get(url).context["adminform"].form
    assert set(form.fields) == {"time_multiplier", "extra_attempts", "deadline_extension_days"}
    response = admin_client_.post(
        url,
        {
            "time_multiplier": "1.25",
            "extra_attempts": "1",
            "deadline_extension_days": "3",
            # Tampered read-only fields are ignored.
            "percent": "100",
            "status": "completed",
        },
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("1.25")
    assert (enrollment.extra_attempts, enrollment.deadline_extension_days) == (1, 3)
    assert (enrollment.percent, enrollment.status) == (33, "active")
    assert AuditLog.objects.filter(action="enrollment.accommodations_changed").count() == 1


def test_no_add_or_delete_and_completions_read_only(admin_client_, enrollment):
    completion = LessonCompletion.objects.get(enrollment=enrollment)
    assert admin_client_.get("/admin/enrollments/enrollment/add/").status_code == 403
    assert (
        admin_client_.get(f"/admin/enrollments/enrollment/{enrollment.pk}/delete/").status_code
        == 403
    )
    assert admin_client_.get("/admin/enrollments/lessoncompletion/add/").status_code == 403
    response = admin_client_.post(
        f"/admin/enrollments/lessoncompletion/{completion.pk}/change/", {}
    )
    assert response.status_code == 403
    assert LessonCompletion.objects.filter(pk=completion.pk).exists()
