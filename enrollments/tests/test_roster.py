"""Staff endpoints: roster, add by email, bulk CSV, accommodations; per-role matrices."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from enrollments.models import Enrollment
from enrollments.services import enrollment_create
from enrollments.tests.conftest import ROLES, client_for, make_course
from lms.audit.models import AuditLog

pytestmark = pytest.mark.django_db

READ = {"anonymous": 401, "student": 403, "other_student": 403, "instructor": 200,
        "other_instructor": 403, "admin": 200}  # fmt: skip
WRITE = {"anonymous": 401, "student": 403, "other_student": 403, "instructor": 201,
         "other_instructor": 403, "admin": 201}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_roster_read_matrix(people, course, role):
    enrollment_create(user=people.student, course=course)
    response = client_for(people.user(role)).get(f"/api/v1/courses/{course.slug}/enrollments/")
    assert response.status_code == READ[role]
    if response.status_code == 200:
        rows = response.json()["data"]
        assert [row["user"]["email"] for row in rows] == [people.student.email]
        assert rows[0]["progress"] == {"completed": 0, "total": 3, "percent": 0}


def test_roster_pages_by_cursor_newest_first(people, course):
    """Keyset pages: following `next` walks every learner once, newest enrollment first,
    with no total count (a deep page costs what page 1 costs)."""
    learners = UserFactory.create_batch(7)
    ids = [enrollment_create(user=learner, course=course).pk for learner in learners]
    client = client_for(people.owner)
    url: str | None = f"/api/v1/courses/{course.slug}/enrollments/?page_size=3"
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        assert "count" not in body["meta"]
        seen += [row["id"] for row in body["data"]]
        url, pages = body["meta"]["next"], pages + 1
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_ta_reads_roster_but_cannot_add(people, course):
    client = client_for(people.ta)
    assert client.get(f"/api/v1/courses/{course.slug}/enrollments/").status_code == 200
    response = client.post(
        f"/api/v1/courses/{course.slug}/enrollments/", {"email": people.other_student.email}
    )
    assert response.status_code == 403


def test_roster_of_a_draft_is_404_for_outsiders(people):
    draft = make_course(people, published=False)
    url = f"/api/v1/courses/{draft.slug}/enrollments/"
    assert client_for(people.other_instructor).get(url).status_code == 404
    assert client_for(people.owner).get(url).status_code == 200


def test_roster_status_filter(people, course):
    enrollment_create(user=people.student, course=course)
    url = f"/api/v1/courses/{course.slug}/enrollments/"
    client = client_for(people.owner)
    assert len(client.get(url, {"status": "active"}).json()["data"]) == 1
    assert client.get(url, {"status": "waitlisted"}).json()["data"] == []
    assert client.get(url, {"status": "bogus"}).status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_add_by_email_matrix(people, course, role):
    learner = UserFactory()
    response = client_for(people.user(role)).post(
        f"/api/v1/courses/{course.slug}/enrollments/", {"email": learner.email}
    )
    assert response.status_code == WRITE[role]
    assert Enrollment.objects.filter(user=learner).exists() == (response.status_code == 201)


def test_add_by_email_errors_and_staff_grant(people):
    paid_full = make_course(people, price_amount=1000, capacity=1)
    enrollment_create(user=people.other_student, course=paid_full, source="paid")
    url = f"/api/v1/courses/{paid_full.slug}/enrollments/"
    client = client_for(people.owner)
    response = client.post(url, {"email": "nobody@example.test"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_email"
    # Staff grants bypass price and capacity.
    response = client.post(url, {"email": people.student.email.upper()})
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "active"
    assert Enrollment.objects.get(user=people.student).source == "staff"
    assert client.post(url, {"email": people.student.email}).json()["code"] == "already_enrolled"
    assert AuditLog.objects.filter(action="enrollment.added").count() == 1


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("learners.csv", text.encode(), content_type="text/csv")


def test_bulk_csv_report(people, course):
    good, enrolled_already, good_two = UserFactory(), UserFactory(), UserFactory()
    enrollment_create(user=enrolled_already, course=course)
    before = set(Enrollment.objects.values_list("pk", "status"))
    text = "\n".join(
        [
            "email",
            good.email,
            enrolled_already.email,
            "unknown@example.test",
            "not-an-email",
            f"{good_two.email},extra",
            "",
            good.email.upper(),  # the same person twice in one file
            good_two.email,
        ]
    )
    response = client_for(people.owner).post(
        f"/api/v1/courses/{course.slug}/enrollments/bulk/",
        {"file": csv_upload(text)},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert [(row["row"], row["result"]) for row in data["rows"]] == [
        (2, "created"),
        (3, "already_enrolled"),
        (4, "unknown_email"),
        (5, "invalid"),
        (6, "invalid"),
        (8, "already_enrolled"),
        (9, "created"),
    ]
    assert data["counts"] == {"created": 2, "already_enrolled": 2, "unknown_email": 1, "invalid": 2}
    after = set(Enrollment.objects.values_list("pk", "status"))
    created_ids = {row["enrollment_id"] for row in data["rows"] if row["result"] == "created"}
    assert {pk for pk, _ in after - before} == created_ids
    assert before <= after  # the existing enrollment is untouched
    assert set(Enrollment.objects.filter(source="bulk").values_list("user_id", flat=True)) == {
        good.pk,
        good_two.pk,
    }
    course.refresh_from_db()
    assert course.enrollment_count == 3


def test_bulk_rejects_non_utf8_and_needs_editor(people, course):
    url = f"/api/v1/courses/{course.slug}/enrollments/bulk/"
    bad = SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = client_for(people.owner).post(url, {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_encoding"
    response = client_for(people.ta).post(url, {"file": csv_upload("a@b.test")}, format="multipart")
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


# The learner is outside the team: their own enrollment's accommodations are not theirs to
# see through this endpoint (404, like any object they may not manage).
ACCOMMODATE = {"anonymous": 401, "student": 404, "other_student": 404, "instructor": 200,
               "other_instructor": 404, "admin": 200}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_accommodations_matrix(people, course, role):
    enrollment = enrollment_create(user=people.student, course=course)
    expected = ACCOMMODATE[role]
    response = client_for(people.user(role)).patch(
        f"/api/v1/enrollments/{enrollment.pk}/accommodations/",
        {"time_multiplier": "1.50", "extra_attempts": 2, "deadline_extension_days": 7},
    )
    assert response.status_code == expected, response.content
    enrollment.refresh_from_db()
    if expected == 200:
        assert response.json()["data"]["accommodations"] == {
            "time_multiplier": "1.50",
            "extra_attempts": 2,
            "deadline_extension_days": 7,
        }
        assert enrollment.time_multiplier == Decimal("1.50")
        assert AuditLog.objects.filter(action="enrollment.accommodations_changed").exists()
    else:
        assert enrollment.time_multiplier == Decimal("1.00")


def test_accommodations_validation_and_ta(people, course):
    enrollment = enrollment_create(user=people.student, course=course)
    url = f"/api/v1/enrollments/{enrollment.pk}/accommodations/"
    response = client_for(people.owner).patch(url, {"time_multiplier": "0.5"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "time_multiplier"
    assert client_for(people.ta).patch(url, {"extra_attempts": 1}).status_code == 403
