"""Staff endpoints: roster, add by email, bulk CSV, accommodations; per-role matrices."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from enrollments.models import Enrollment
from enrollments.services import enrollment_create
from lms.audit.models import AuditLog
from lms.testing import ROLES, client_for, make_course, unchanged

pytestmark = pytest.mark.django_db

READ = {"anonymous": 401, "student": 403, "other_student": 403, "outsider": 403,
        "owner": 200, "instructor": 200, "ta": 200, "other_instructor": 403,
        "admin": 200}  # fmt: skip
WRITE = {"anonymous": 401, "student": 403, "other_student": 403, "outsider": 403,
         "owner": 201, "instructor": 201, "ta": 403, "other_instructor": 403,
         "admin": 201}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_roster_read_matrix(cast, course, role):
    enrollment_create(user=cast.student, course=course)
    response = client_for(cast.user(role)).get(f"/api/v1/courses/{course.slug}/enrollments/")
    assert response.status_code == READ[role]
    if response.status_code == 200:
        rows = response.json()["data"]
        assert [row["user"]["email"] for row in rows] == [cast.student.email]
        assert rows[0]["progress"] == {"completed": 0, "total": 3, "percent": 0}


def test_roster_pages_by_cursor_newest_first(cast, course):
    """Keyset pages: following `next` walks every learner once, newest enrollment first,
    with no total count (a deep page costs what page 1 costs)."""
    learners = UserFactory.create_batch(7)
    ids = [enrollment_create(user=learner, course=course).pk for learner in learners]
    client = client_for(cast.owner)
    url: str | None = f"/api/v1/courses/{course.slug}/enrollments/?page_size=3"
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        assert body["meta"]["count"] is None  # the one list meta; a cursor list is not counted
        assert body["meta"]["page_size"] == 3
        seen += [row["id"] for row in body["data"]]
        url, pages = body["meta"]["next"], pages + 1
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_ta_reads_roster_but_cannot_add(cast, course):
    client = client_for(cast.ta)
    assert client.get(f"/api/v1/courses/{course.slug}/enrollments/").status_code == 200
    with unchanged(course, counts=(Enrollment, AuditLog)):
        response = client.post(
            f"/api/v1/courses/{course.slug}/enrollments/", {"email": cast.other_student.email}
        )
    assert response.status_code == 403


def test_roster_of_a_draft_is_404_for_outsiders(cast):
    draft = make_course(cast, published=False)
    url = f"/api/v1/courses/{draft.slug}/enrollments/"
    assert client_for(cast.other_instructor).get(url).status_code == 404
    assert client_for(cast.owner).get(url).status_code == 200


def test_roster_status_filter(cast, course):
    enrollment_create(user=cast.student, course=course)
    url = f"/api/v1/courses/{course.slug}/enrollments/"
    client = client_for(cast.owner)
    assert len(client.get(url, {"status": "active"}).json()["data"]) == 1
    assert client.get(url, {"status": "waitlisted"}).json()["data"] == []
    assert client.get(url, {"status": "bogus"}).status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_add_by_email_matrix(cast, course, role):
    learner = UserFactory()
    response = client_for(cast.user(role)).post(
        f"/api/v1/courses/{course.slug}/enrollments/", {"email": learner.email}
    )
    assert response.status_code == WRITE[role]
    assert Enrollment.objects.filter(user=learner).exists() == (response.status_code == 201)
    if response.status_code == 201:
        assert response.json()["data"]["enrolled_at"].endswith("Z")


def test_add_by_email_errors_and_staff_grant(cast):
    paid_full = make_course(cast, price_amount=1000, capacity=1)
    enrollment_create(user=cast.other_student, course=paid_full, source="paid")
    url = f"/api/v1/courses/{paid_full.slug}/enrollments/"
    client = client_for(cast.owner)
    with unchanged(paid_full, counts=(Enrollment, AuditLog)):
        response = client.post(url, {"email": "nobody@example.test"})
        unknown_field = client.post(url, {"email": cast.student.email, "source": "self"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_email"
    assert response.json()["errors"][0]["pointer"] == "/email"
    assert unknown_field.status_code == 400
    assert unknown_field.json()["errors"][0]["pointer"] == "/source"
    # Staff grants bypass price and capacity.
    response = client.post(url, {"email": cast.student.email.upper()})
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "active"
    seated = Enrollment.objects.get(user=cast.student)
    assert seated.source == "staff"
    with unchanged(seated, paid_full, counts=(Enrollment, AuditLog)):
        again = client.post(url, {"email": cast.student.email})
    assert (again.status_code, again.json()["code"]) == (409, "already_enrolled")
    assert AuditLog.objects.filter(action="enrollment.added").count() == 1


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("learners.csv", text.encode(), content_type="text/csv")


def test_bulk_csv_report(cast, course):
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
    response = client_for(cast.owner).post(
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


def test_bulk_rejects_non_utf8_and_needs_editor(cast, course):
    url = f"/api/v1/courses/{course.slug}/enrollments/bulk/"
    bad = SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    big = SimpleUploadedFile("big.csv", b"a@b.test\n" * 120_000, content_type="text/csv")
    learner = UserFactory()
    with unchanged(course, counts=(Enrollment, AuditLog)):
        response = client_for(cast.owner).post(url, {"file": bad}, format="multipart")
        too_big = client_for(cast.owner).post(url, {"file": big}, format="multipart")
        by_ta = client_for(cast.ta).post(
            url, {"file": csv_upload(learner.email)}, format="multipart"
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_encoding"
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0] == {
        "attr": "file",
        "pointer": "/file",
        "code": "file_too_large",
        "detail": "The file is larger than 1 MB.",
    }
    assert by_ta.status_code == 403


# The learner is outside the team: their own enrollment's accommodations are not theirs to
# see through this endpoint (404, like any object they may not manage).
ACCOMMODATE = {"anonymous": 401, "student": 404, "other_student": 404, "outsider": 404,
               "owner": 200, "instructor": 200, "ta": 403, "other_instructor": 404,
               "admin": 200}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_accommodations_matrix(cast, course, role):
    enrollment = enrollment_create(user=cast.student, course=course)
    expected = ACCOMMODATE[role]
    before = Enrollment.objects.get(pk=enrollment.pk)
    audits = AuditLog.objects.count()
    response = client_for(cast.user(role)).patch(
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
        assert (enrollment.time_multiplier, enrollment.extra_attempts) == (
            before.time_multiplier,
            before.extra_attempts,
        )
        assert AuditLog.objects.count() == audits


def test_accommodations_validation_and_ta(cast, course):
    enrollment = enrollment_create(user=cast.student, course=course)
    url = f"/api/v1/enrollments/{enrollment.pk}/accommodations/"
    with unchanged(enrollment, counts=(AuditLog,)):
        response = client_for(cast.owner).patch(url, {"time_multiplier": "0.5"})
        unknown = client_for(cast.owner).patch(url, {"extra_attempts": 1, "percent": 100})
        by_ta = client_for(cast.ta).patch(url, {"extra_attempts": 1})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "time_multiplier"
    assert unknown.status_code == 400
    assert [(e["pointer"], e["code"]) for e in unknown.json()["errors"]] == [
        ("/percent", "unknown_field")
    ]
    assert by_ta.status_code == 403
