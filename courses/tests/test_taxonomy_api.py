"""categories/ and tags/: everyone reads, admins write; two levels of categories."""

import pytest

from courses.models import Category, Tag
from courses.tests.factories import CategoryFactory, CourseFactory, TagFactory
from lms.testing import unchanged

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("actor", "read", "write"),
    [("anonymous", 200, 401), ("student", 200, 403), ("owner", 200, 403), ("admin", 200, 201)],
)
def test_role_matrix(actor, read, write, team, as_user):
    client = as_user(team.user(actor))
    assert client.get("/api/v1/categories/").status_code == read
    assert client.get("/api/v1/tags/").status_code == read
    assert client.post("/api/v1/categories/", {"name": "Data"}).status_code == write
    assert client.post("/api/v1/tags/", {"name": "SQL"}).status_code == write
    created = write == 201
    assert Category.objects.filter(slug="data").exists() == created
    assert Tag.objects.filter(slug="sql").exists() == created


def test_two_levels_only(team, as_user):
    client = as_user(team.admin)
    top = client.post("/api/v1/categories/", {"name": "Science"}).json()["data"]
    child = client.post("/api/v1/categories/", {"name": "Physics", "parent": top["slug"]})
    assert child.status_code == 201 and child.json()["data"]["parent"] == "science"
    grandchild = client.post("/api/v1/categories/", {"name": "Optics", "parent": "physics"})
    assert grandchild.status_code == 400
    assert grandchild.json()["errors"][0]["attr"] == "parent"
    # A category with children cannot itself become a child.
    other = CategoryFactory(slug="other")
    moved = client.patch("/api/v1/categories/science/", {"parent": other.slug})
    assert moved.status_code == 400 and moved.json()["errors"][0]["code"] == "has_children"
    taken = client.post("/api/v1/categories/", {"name": "Science"})
    assert taken.json()["errors"][0]["code"] == "slug_taken"
    with unchanged(Category.objects.get(slug="science"), counts=(Category,)):
        refused = client.delete("/api/v1/categories/science/")
    assert refused.status_code == 409 and refused.json()["code"] == "category_has_children"
    unknown = client.post("/api/v1/tags/", {"name": "Go", "colour": "blue"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["attr"] == "colour"
    assert not Tag.objects.filter(slug="go").exists()
    assert client.delete("/api/v1/categories/physics/").status_code == 204
    assert client.delete("/api/v1/categories/science/").status_code == 204


def test_counts_and_deletes(team, as_user):
    category = CategoryFactory()
    tag = TagFactory()
    course = CourseFactory(published=True, category=category)
    course.tags.add(tag)
    CourseFactory(category=category)  # drafts are not counted
    client = as_user(team.admin)
    listed = {c["slug"]: c for c in client.get("/api/v1/categories/").json()["data"]}
    assert listed[category.slug]["course_count"] == 1
    renamed = client.patch(f"/api/v1/tags/{tag.slug}/", {"name": "Renamed"})
    assert renamed.json()["data"]["name"] == "Renamed"
    assert client.delete(f"/api/v1/tags/{tag.slug}/").status_code == 204
    assert client.delete(f"/api/v1/categories/{category.slug}/").status_code == 204
    course.refresh_from_db()
    assert course.category is None and not course.tags.exists()
