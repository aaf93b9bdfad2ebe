"""Raw twins of the course reads: the catalogue (with category and full-text search),
the course detail, and the outline with a learner's lesson states.

Real endpoints: courses.api.views.courses.CourseViewSet (list, retrieve, outline), whose
reads are courses.selectors (course_list, _search, course_detail, course_outline_states)
plus enrollments.selectors.outline_state_for. The real ones cache; the twins never do:
they are the cost of answering from the database by hand.
"""

import re
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.fields import SlugField

from bench.baselines.raw.common import (
    NOT_FOUND,
    PUBLIC_STATUSES,
    SEATED,
    Viewer,
    can_teach,
    char_errors,
    fetch_all,
    fetch_one,
    fetch_value,
    field_errors,
    file_url,
    in_list,
    iso,
    ok,
    page_for,
    page_meta,
    raw_view,
    viewer_for,
)
from courses.models import SEARCH_CONFIG
from courses.selectors import LessonActivity, completion_rule_for

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")
SEARCH_MAX_LENGTH = 200
# Catalogue filters the twin does not implement: refused rather than silently ignored,
# so a benchmark cannot compare a filtered real page with an unfiltered twin page.
UNSUPPORTED_FILTERS = ("tag", "level", "language", "price", "instructor", "status", "ordering")

# The listing columns (CourseListSerializer), tags and instructors as JSON arrays and the
# counts as subqueries, so a page is one statement whatever its size. Scalar subqueries in
# the select list run after ORDER BY ... LIMIT (PostgreSQL postpones costly targets past
# the sort), so only for the page's rows, never for every published course.
_LISTING_COLUMNS = """
    c.id, c.slug, c.title, c.subtitle, c.cover_image, c.language, c.level,
    cat.id AS category_id, cat.slug AS category_slug, cat.name AS category_name,
    parent.slug AS category_parent,
    (SELECT coalesce(json_agg(json_build_object('id', t.id, 'slug', t.slug, 'name', t.name)
                              ORDER BY t.name, t.id), '[]'::json)
       FROM courses_course_tags ct JOIN courses_tag t ON t.id = ct.tag_id
      WHERE ct.course_id = c.id) AS tags,
    c.price_amount, c.currency, c.status, c.published_at, c.capacity, c.estimated_hours,
    c.enrollment_count,
    (SELECT count(*) FROM courses_module m WHERE m.course_id = c.id) AS module_count,
    (SELECT count(*) FROM courses_module m JOIN courses_lesson l ON l.module_id = m.id
      WHERE m.course_id = c.id) AS lesson_count,
    (SELECT coalesce(sum(l.duration_minutes), 0)
       FROM courses_module m JOIN courses_lesson l ON l.module_id = m.id
      WHERE m.course_id = c.id) AS duration_minutes,
    (SELECT coalesce(json_agg(json_build_object(
                'id', s.user_id,
                'name', coalesce(nullif(btrim(u.first_name || ' ' || u.last_name), ''), u.email),
                'role', s.role) ORDER BY s.id), '[]'::json)
       FROM courses_coursestaff s JOIN accounts_user u ON u.id = s.user_id
      WHERE s.course_id = c.id AND s.role IN ('owner', 'instructor')) AS instructors
"""
_CATEGORY_JOINS = """
    LEFT JOIN courses_category cat ON cat.id = c.category_id
    LEFT JOIN courses_category parent ON parent.id = cat.parent_id
"""


def _listing_item(request: HttpRequest, row: dict[str, Any]) -> dict[str, Any]:
    category = (
        {
            "id": row["category_id"],
            "slug": row["category_slug"],
            "name": row["category_name"],
            "parent": row["category_parent"],
        }
        if row["category_id"] is not None
        else None
    )
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "cover_image": file_url(request, row["cover_image"]),
        "language": row["language"],
        "level": row["level"],
        "category": category,
        "tags": row["tags"],
        "price_amount": row["price_amount"],
        "currency": row["currency"],
        "is_free": row["price_amount"] == 0,
        "status": row["status"],
        "published_at": iso(row["published_at"]),
        "capacity": row["capacity"],
        "estimated_hours": row["estimated_hours"],
        "enrollment_count": row["enrollment_count"],
        "module_count": row["module_count"],
        "lesson_count": row["lesson_count"],
        "duration_minutes": row["duration_minutes"],
        "instructors": row["instructors"],
    }


def _catalogue_query(request: HttpRequest) -> tuple[str, dict[str, Any], str]:
    """WHERE clause, its parameters and the ORDER BY, validated like CourseQuerySerializer."""
    params = request.GET
    if params.get("scope", "catalogue") != "catalogue":
        raise field_errors([("scope", "unsupported", "The raw twin serves the catalogue only.")])
    for name in UNSUPPORTED_FILTERS:
        if name in params:
            raise field_errors([(name, "unsupported", "The raw twin does not filter by it.")])
    where = ["c.status = 'published'"]
    args: dict[str, Any] = {}
    order = "c.published_at DESC NULLS LAST, c.created_at DESC, c.id DESC"
    errors: list[tuple[str, str, str]] = []  # CourseQuerySerializer's, in its field order
    if "category" in params:  # a SlugField: a CharField, then the slug pattern
        category, refused = char_errors(params["category"])
        if category and not SLUG_RE.match(category):
            refused.append(("invalid", str(SlugField.default_error_messages["invalid"])))
        errors += [("category", code, message) for code, message in refused]
        where.append("(cat.slug = %(category)s OR parent.slug = %(category)s)")
        args["category"] = category
    if "search" in params:
        text, refused = char_errors(params["search"], max_length=SEARCH_MAX_LENGTH)
        errors += [("search", code, message) for code, message in refused]
        # courses.selectors._search: websearch syntax on the stored vector, ranked.
        where.append("c.search_vector @@ websearch_to_tsquery(%(config)s::regconfig, %(search)s)")
        args.update(search=text, config=SEARCH_CONFIG)
        order = (
            "ts_rank(c.search_vector, websearch_to_tsquery(%(config)s::regconfig, %(search)s))"
            " DESC, c.id DESC"
        )
    if errors:
        raise field_errors(errors)
    return " AND ".join(where), args, order


@raw_view("GET")
def course_list(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/courses/: the catalogue, page-number paginated. Two statements: the
    count (Django's paginator runs one too) and the page."""
    viewer_for(request)  # a bad token is a 401 even on an open endpoint
    where, args, order = _catalogue_query(request)
    # The category tables only matter to the count when filtering by category.
    joins = _CATEGORY_JOINS if "category" in request.GET else ""
    count = fetch_value(f"SELECT count(*) FROM courses_course c {joins} WHERE {where}", args)  # noqa: S608
    page = page_for(request, count)
    rows = fetch_all(
        f"SELECT {_LISTING_COLUMNS} FROM courses_course c {_CATEGORY_JOINS} "  # noqa: S608
        f"WHERE {where} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s",
        {**args, "limit": page.size, "offset": page.offset},
    )
    return ok([_listing_item(request, row) for row in rows], page_meta(request, page))


@raw_view("GET")
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /api/v1/courses/{slug}/: one statement, with the viewer's course role for the
    visibility rule (drafts only for the team and admins: 404 for anyone else)."""
    viewer = viewer_for(request)
    row = fetch_one(
        f"""
        SELECT {_LISTING_COLUMNS},
               c.description, c.description_html, c.enrollment_opens_at,
               c.enrollment_closes_at, c.starts_at, c.ends_at, c.passing_grade,
               c.video_complete_percent, c.archived_at, c.created_at, c.updated_at,
               (SELECT role FROM courses_coursestaff s
                 WHERE s.course_id = c.id AND s.user_id = %(user)s) AS viewer_role
          FROM courses_course c {_CATEGORY_JOINS}
         WHERE c.slug = %(slug)s
        """,  # noqa: S608
        {"slug": slug, "user": viewer.id if viewer else None},
    )
    if row is None or not _visible(viewer, row["status"], row["viewer_role"]):
        raise NOT_FOUND
    item = _listing_item(request, row)
    for name in ("description", "description_html", "passing_grade", "video_complete_percent"):
        item[name] = row[name]
    for name in (
        "enrollment_opens_at",
        "enrollment_closes_at",
        "starts_at",
        "ends_at",
        "archived_at",
        "created_at",
        "updated_at",
    ):
        item[name] = iso(row[name])
    # CourseDetailSerializer's field order: the detail fields follow the listing ones.
    return ok(item)


def _visible(viewer: Viewer | None, status: str, staff_role: str | None) -> bool:
    """courses.permissions.can_view_course."""
    return status in PUBLIC_STATUSES or can_teach(viewer, staff_role)


@raw_view("GET")
def course_outline(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /api/v1/courses/{slug}/outline/: modules and lessons in order, and for a
    learner with a seat each lesson's state (completed, locked and why). Two statements:
    the course with the viewer's role and seat, then the structure with completions."""
    viewer = viewer_for(request)
    course = fetch_one(
        f"""
        SELECT c.id, c.slug, c.status, c.video_complete_percent,
               (SELECT role FROM courses_coursestaff s
                 WHERE s.course_id = c.id AND s.user_id = %(user)s) AS viewer_role,
               e.id AS enrollment_id, e.enrolled_at
          FROM courses_course c
          LEFT JOIN enrollments_enrollment e
            ON e.course_id = c.id AND e.user_id = %(user)s AND e.status IN {in_list(SEATED)}
         WHERE c.slug = %(slug)s
        """,  # noqa: S608
        {"slug": slug, "user": viewer.id if viewer else None},
    )
    if course is None or not _visible(viewer, course["status"], course["viewer_role"]):
        raise NOT_FOUND
    rows = fetch_all(
        """
        SELECT m.id AS module_id, m.title AS module_title, m.position AS module_position,
               l.id, l.title, l.position, l.kind, l.duration_minutes, l.is_preview,
               l.required_for_completion, l.release_at, l.release_after_days,
               l.requires_prerequisites,
               coalesce(q.id, a.id) AS activity_id,
               CASE WHEN q.id IS NOT NULL THEN
                         CASE WHEN q.passing_score_percent > 0 THEN 'pass' ELSE 'submit' END
                    ELSE a.complete_on END AS completes_on,
               CASE WHEN q.id IS NOT NULL THEN q.passing_score_percent
                    ELSE a.pass_percent END AS pass_percent,
               EXISTS (SELECT 1 FROM enrollments_lessoncompletion lc
                        WHERE lc.enrollment_id = %(enrollment)s AND lc.lesson_id = l.id) AS done
          FROM courses_module m
          LEFT JOIN courses_lesson l ON l.module_id = m.id
          LEFT JOIN LATERAL (SELECT id, passing_score_percent FROM quizzes_quiz
                              WHERE lesson_id = l.id AND l.kind = 'quiz'
                              ORDER BY published DESC, id LIMIT 1) q ON true
          LEFT JOIN LATERAL (SELECT id, complete_on, pass_percent FROM assignments_assignment
                              WHERE lesson_id = l.id AND l.kind = 'assignment'
                              ORDER BY is_published DESC, id LIMIT 1) a ON true
         WHERE m.course_id = %(course)s
         ORDER BY m.position, l.position
        """,
        {"course": course["id"], "enrollment": course["enrollment_id"]},
    )
    return ok({"course": course["slug"], **_outline(rows, course)})


def _completion(row: dict[str, Any], video_percent: int) -> dict[str, Any]:
    """The outline's `completion`: the facts read in SQL, the rule from the one pure
    function the real outline uses (courses.selectors.completion_rule_for)."""
    activity = None
    if row["activity_id"] is not None:
        passing = row["completes_on"] == "pass"
        activity = LessonActivity(
            row["activity_id"], row["completes_on"], row["pass_percent"] if passing else None
        )
    rule = completion_rule_for(kind=row["kind"], activity=activity, video_percent=video_percent)
    return rule.as_data()


def _outline(rows: list[dict[str, Any]], course: dict[str, Any]) -> dict[str, Any]:
    """courses.selectors._outline_structure with enrollments.selectors.outline_state_for
    applied: the same walk in course order, `missing_required` carried across lessons."""
    seated = course["enrollment_id"] is not None
    now = timezone.now()
    modules: list[dict[str, Any]] = []
    missing_required = False
    for row in rows:
        if not modules or modules[-1]["id"] != row["module_id"]:
            modules.append(
                {
                    "id": row["module_id"],
                    "title": row["module_title"],
                    "position": row["module_position"],
                    "duration_minutes": 0,
                    "lessons": [],
                }
            )
        if row["id"] is None:  # a module without lessons
            continue
        state = None
        if seated:
            unlock_at = row["release_at"]
            if unlock_at is None and row["release_after_days"] is not None:
                unlock_at = course["enrolled_at"] + timedelta(days=row["release_after_days"])
            reason = None
            if row["is_preview"]:
                pass
            elif unlock_at is not None and now < unlock_at:
                reason = "not_released"
            elif row["requires_prerequisites"] and missing_required:
                reason = "prerequisite"
            state = {
                "completed": row["done"],
                "locked": reason is not None,
                "lock_reason": reason,
                "unlock_at": iso(unlock_at),
            }
            if row["required_for_completion"] and not row["done"]:
                missing_required = True
        modules[-1]["duration_minutes"] += row["duration_minutes"]
        modules[-1]["lessons"].append(
            {
                "id": row["id"],
                "title": row["title"],
                "position": row["position"],
                "kind": row["kind"],
                "activity_id": row["activity_id"],
                "completion": _completion(row, course["video_complete_percent"]),
                "duration_minutes": row["duration_minutes"],
                "is_preview": row["is_preview"],
                "required_for_completion": row["required_for_completion"],
                "release_at": iso(row["release_at"]),
                "release_after_days": row["release_after_days"],
                "requires_prerequisites": row["requires_prerequisites"],
                "state": state,
            }
        )
    return {
        "module_count": len(modules),
        "lesson_count": sum(len(module["lessons"]) for module in modules),
        "duration_minutes": sum(module["duration_minutes"] for module in modules),
        "modules": modules,
    }
