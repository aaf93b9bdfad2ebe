"""The roster page's forms (issue 15): add a learner by email and add many from a CSV file,
for the course's owners, instructors and admins; TAs see no forms and get 403; everyone
else 403 (published course) or 404 (a draft they may not see). Errors come back on the
page with what was typed, never a 500; nothing is written on a refusal."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from courses.models import Course
from enrollments.models import Enrollment
from enrollments.services import enrollment_create
from lms.audit.models import AuditLog
from lms.testing import make_course, unchanged

pytestmark = pytest.mark.django_db


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def roster_url(course: Course) -> str:
    return f"/instructor/courses/{course.slug}/learners/"


def csv_file(text: str | bytes, name: str = "learners.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def add(client: Client, course: Course, email: str):
    return client.post(roster_url(course), {"add-email": email, "add_learner": "1"})


def bulk(client: Client, course: Course, upload: SimpleUploadedFile | None):
    data = {"bulk_add": "1"}
    if upload is not None:
        data["bulk-file"] = upload
    return client.post(roster_url(course), data)


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- who sees the forms, who may post ---------------------------------------------------

EDITORS = ("owner", "instructor", "admin")


@pytest.mark.parametrize(
    ("role", "forms"),
    [("owner", True), ("instructor", True), ("admin", True), ("ta", False)],
)
def test_editors_see_the_forms_and_tas_do_not(cast, course, role, forms):
    body = client_as(cast.user(role)).get(roster_url(course)).content.decode()
    assert ('id="add-learner-form"' in body) is forms
    assert ('id="bulk-add-form"' in body) is forms
    assert 'enctype="multipart/form-data"' in body if forms else True
    # The course hub's menu, with Learners current.
    assert re.search(r'href="[^"]+/learners/"\s+aria-current="page"', body)


POST_CODES = {
    "student": 403,
    "other_student": 403,
    "outsider": 403,
    "ta": 403,
    "other_instructor": 403,
    "owner": 302,
    "instructor": 302,
    "admin": 302,
}


@pytest.mark.parametrize(("role", "expected"), POST_CODES.items())
def test_who_may_add_a_learner(cast, course, role, expected):
    learner = UserFactory(email=f"new-{role}@example.test")
    if expected == 302:
        response = add(client_as(cast.user(role)), course, learner.email)
        assert response.status_code == 302 and response["Location"] == roster_url(course)
        enrollment = Enrollment.objects.get(course=course, user=learner)
        assert (enrollment.status, enrollment.source) == ("active", "staff")
        return
    with unchanged(course, counts=(Enrollment, AuditLog)):
        assert add(client_as(cast.user(role)), course, learner.email).status_code == expected
        assert bulk(client_as(cast.user(role)), course, csv_file(learner.email)).status_code == (
            expected
        )


def test_anonymous_posts_go_to_the_login_page(course):
    learner = UserFactory()
    with unchanged(course, counts=(Enrollment,)):
        for response in (add(Client(), course, learner.email), bulk(Client(), course, None)):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=")


def test_a_draft_is_404_to_those_who_may_not_see_it(cast):
    draft = make_course(cast, published=False)
    learner = UserFactory()
    with unchanged(draft, counts=(Enrollment,)):
        for role in ("student", "other_instructor"):
            assert add(client_as(cast.user(role)), draft, learner.email).status_code == 404
            assert bulk(client_as(cast.user(role)), draft, csv_file(learner.email)).status_code == (
                404
            )


# --- add one learner by email -------------------------------------------------------------


def test_adding_a_learner_shows_who_was_added(cast, course):
    learner = UserFactory(email="ada@example.test")
    client = client_as(cast.owner)
    response = add(client, course, "  ada@example.test ")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "ada@example.test was added to the course." in text_of(page)
    assert 'data-email="ada@example.test"' in page.content.decode()
    assert Enrollment.objects.get(user=learner, course=course).source == "staff"
    assert AuditLog.objects.filter(action="enrollment.added").count() == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.test", "No active user has this email."),
        ("not-an-email", "Enter a valid email address."),
        ("", "This field is required."),
    ],
)
def test_a_refused_email_comes_back_with_the_reason_and_the_typed_text(
    cast, course, email, message
):
    with unchanged(course, counts=(Enrollment, AuditLog)):
        response = add(client_as(cast.instructor), course, email)
    assert response.status_code == 400
    assert message in text_of(response)
    body = response.content.decode()
    assert f'name="add-email" value="{email}"' in body if email else 'name="add-email"' in body
    assert 'id="roster"' in body or 'id="roster-empty"' in body  # the roster is still there


def test_adding_someone_already_enrolled_says_so(cast, course):
    enrollment_create(user=cast.student, course=course)
    with unchanged(course, counts=(Enrollment, AuditLog)):
        response = add(client_as(cast.owner), course, cast.student.email)
    assert response.status_code == 400
    assert "already" in text_of(response).lower()


# --- bulk CSV ---------------------------------------------------------------------------------


def test_a_bulk_upload_shows_the_report(cast, course):
    new, already, new_two = UserFactory(), UserFactory(), UserFactory()
    enrollment_create(user=already, course=course)
    text = "\n".join(
        ["email", new.email, already.email, "ghost@example.test", "not-an-email", new_two.email]
    )
    response = bulk(client_as(cast.owner), course, csv_file(text))
    assert response.status_code == 200
    body = response.content.decode()
    counts = dict(re.findall(r'<strong id="count-(\w+)">(\d+)</strong>', body))
    assert counts == {"added": "2", "already": "1", "unknown": "1", "invalid": "1"}
    rows = re.findall(r'<tr class="result-(\w+)"><td>(\d+)</td><td>([^<]*)</td>', body)
    assert rows == [
        ("already_enrolled", "3", already.email),
        ("unknown_email", "4", "ghost@example.test"),
        ("invalid", "5", "not-an-email"),
    ]
    text_shown = text_of(response)
    assert "No account has this email" in text_shown and "Not valid: Not an email address." in (
        text_shown
    )
    for raw in ("unknown_email", "already_enrolled", "created"):
        assert raw not in text_shown, raw
    assert set(
        Enrollment.objects.filter(course=course, source="bulk").values_list("user_id", flat=True)
    ) == {new.pk, new_two.pk}
    assert f'data-email="{new.email}"' in body  # the roster below already lists them


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv_file(b"\xff\xfe\x00not text"), "The file is not UTF-8 text."),
        (csv_file(b"a@b.test\n" * 120_000, "big.csv"), "The file is larger than 1 MB."),
        (csv_file(b"", "empty.csv"), "The submitted file is empty."),
        (None, "This field is required."),
    ],
    ids=["not-utf8", "too-big", "empty", "missing"],
)
def test_a_bad_file_is_refused_on_the_page(cast, course, upload, message):
    with unchanged(course, counts=(Enrollment, AuditLog)):
        response = bulk(client_as(cast.owner), course, upload)
    assert response.status_code == 400
    assert message in text_of(response)
    assert 'id="bulk-report"' not in response.content.decode()


def test_a_bulk_add_to_an_unpublished_course_is_refused_not_a_500(cast):
    draft = make_course(cast, published=False)
    learner = UserFactory()
    with unchanged(draft, counts=(Enrollment, AuditLog)):
        response = bulk(client_as(cast.owner), draft, csv_file(learner.email))
        single = add(client_as(cast.owner), draft, learner.email)
    assert response.status_code == 400 and "not open yet" in text_of(response)
    assert single.status_code == 400 and "not open yet" in text_of(single)


def test_a_post_naming_no_form_is_a_400(cast, course):
    with unchanged(course, counts=(Enrollment,)):
        response = client_as(cast.owner).post(roster_url(course), {"add-email": "x@y.test"})
    assert response.status_code == 400


# --- queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("learners", [3, 30])
def test_the_roster_with_its_forms_runs_a_constant_number_of_queries(
    cast, course, django_assert_max_num_queries, learners
):
    for n in range(learners):
        enrollment_create(user=UserFactory(email=f"q{n}@example.test"), course=course)
    client = client_as(cast.owner)
    client.get(roster_url(course))
    # session, user, course, team role, count, page of rows: nothing per learner
    with django_assert_max_num_queries(6):
        response = client.get(roster_url(course))
    assert 'id="add-learner-form"' in response.content.decode()
    assert response.content.decode().count("<tr data-email=") == learners
