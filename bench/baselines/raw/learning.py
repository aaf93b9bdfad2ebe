"""Raw twins of a learner's endpoints: my enrollments, opening a lesson, completing it.

Real endpoints: enrollments.api.views (EnrollmentViewSet.list, LessonViewSet.retrieve and
.complete), with enrollments.permissions.can_access_lesson and
enrollments.services.progress.lesson_complete(by_request=True). The write twin does the
same writes as the service, in SQL, in one transaction: lock the enrollment row, refuse a
lesson that does not complete on request (docs/decisions/0014-completion-rules.md: the
facts read in SQL, the verdict and its words from the same pure rule,
enrollments.completion.request_decision), insert the completion (idempotent), stamp last
activity, recompute the rollup from counts, and at 100 % turn an active enrollment whose
course grade allows it into a completed one with its outbox message.
"""

import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from bench.baselines.raw.common import (
    NOT_FOUND,
    PUBLIC_STATUSES,
    SEATED,
    Problem,
    Viewer,
    can_teach,
    fetch_all,
    fetch_one,
    fetch_value,
    file_url,
    in_list,
    iso,
    no_body,
    ok,
    page_for,
    page_meta,
    raw_view,
    require_viewer,
    viewer_for,
)
from courses.selectors import LessonActivity, completion_rule_for
from enrollments.completion import request_decision
from lms.outbox.services import _nudge_relay as outbox_nudge

COURSE_COMPLETED_TOPIC = "enrollments.course_completed"
MAX_ID = 2**63 - 1

# EnrollmentSerializer's columns; `next_lesson` is the first lesson in course order
# without a completion (enrollments.selectors.next_lessons_for), found by a lateral
# subquery per row instead of loading every lesson and completion of the page.
_ENROLLMENT_SELECT = """
    SELECT e.id, e.user_id, c.id AS course_id, c.slug AS course_slug, c.title AS course_title,
           c.status AS course_status, e.status, e.source, e.enrolled_at, e.waitlisted_at,
           e.completed_at, e.last_activity_at, e.completed_count, e.required_total,
           e.percent, e.time_multiplier, e.extra_attempts, e.deadline_extension_days,
           nl.id AS next_id, nl.title AS next_title, nl.kind AS next_kind
      FROM enrollments_enrollment e
      JOIN courses_course c ON c.id = e.course_id
      LEFT JOIN LATERAL (
          SELECT l.id, l.title, l.kind
            FROM courses_module m JOIN courses_lesson l ON l.module_id = m.id
           WHERE m.course_id = e.course_id
             AND NOT EXISTS (SELECT 1 FROM enrollments_lessoncompletion lc
                              WHERE lc.enrollment_id = e.id AND lc.lesson_id = l.id)
           ORDER BY m.position, l.position
           LIMIT 1
      ) nl ON true
"""


def enrollment_item(row: dict[str, Any]) -> dict[str, Any]:
    """enrollments.api.serializers.EnrollmentSerializer."""
    return {
        "id": row["id"],
        "course": {
            "id": row["course_id"],
            "slug": row["course_slug"],
            "title": row["course_title"],
            "status": row["course_status"],
        },
        "status": row["status"],
        "source": row["source"],
        "enrolled_at": iso(row["enrolled_at"]),
        "waitlisted_at": iso(row["waitlisted_at"]),
        "completed_at": iso(row["completed_at"]),
        "last_activity_at": iso(row["last_activity_at"]),
        "progress": {
            "completed": row["completed_count"],
            "total": row["required_total"],
            "percent": row["percent"],
        },
        "next_lesson": (
            {"id": row["next_id"], "title": row["next_title"], "kind": row["next_kind"]}
            if row["next_id"] is not None
            else None
        ),
        "accommodations": accommodations(row),
    }


def accommodations(row: dict[str, Any]) -> dict[str, Any]:
    # DecimalField renders as a string with its two places ("1.00"), as DRF does.
    return {
        "time_multiplier": f"{row['time_multiplier']:.2f}",
        "extra_attempts": row["extra_attempts"],
        "deadline_extension_days": row["deadline_extension_days"],
    }


@raw_view("GET")
def enrollment_list(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/enrollments/: my enrollments (not dropped or revoked), newest first.
    Two statements: the count and the page."""
    viewer = require_viewer(request)
    where = f"e.user_id = %(user)s AND e.status NOT IN {in_list(('dropped', 'revoked'))}"
    count = fetch_value(
        f"SELECT count(*) FROM enrollments_enrollment e WHERE {where}",  # noqa: S608
        {"user": viewer.id},
    )
    page = page_for(request, count)
    rows = fetch_all(
        f"{_ENROLLMENT_SELECT} WHERE {where} "
        "ORDER BY e.enrolled_at DESC, e.id DESC LIMIT %(limit)s OFFSET %(offset)s",
        {"user": viewer.id, "limit": page.size, "offset": page.offset},
    )
    return ok([enrollment_item(row) for row in rows], page_meta(request, page))


# --- lessons ---------------------------------------------------------------------------


def _lesson_row(lesson_id: int, viewer: Viewer | None) -> dict[str, Any]:
    """The lesson, its course, the viewer's course role and seat, whether it is completed
    and (only when the lesson asks) whether every earlier required lesson is: everything
    can_access_lesson and the response need, in one statement."""
    if lesson_id > MAX_ID:
        raise NOT_FOUND
    row = fetch_one(
        f"""
        SELECT l.id, l.module_id, l.title, l.position, l.kind, l.body, l.body_html,
               l.video_url, l.file, l.link_url, l.duration_minutes, l.is_preview,
               l.required_for_completion, l.release_at, l.release_after_days,
               l.requires_prerequisites,
               c.id AS course_id, c.slug AS course_slug, c.status AS course_status,
               (SELECT role FROM courses_coursestaff s
                 WHERE s.course_id = c.id AND s.user_id = %(user)s) AS viewer_role,
               e.id AS enrollment_id, e.enrolled_at,
               EXISTS (SELECT 1 FROM enrollments_lessoncompletion lc
                        WHERE lc.enrollment_id = e.id AND lc.lesson_id = l.id) AS completed,
               CASE WHEN l.requires_prerequisites AND e.id IS NOT NULL THEN NOT EXISTS (
                   SELECT 1 FROM courses_lesson l2
                     JOIN courses_module m2 ON m2.id = l2.module_id
                    WHERE m2.course_id = c.id AND l2.required_for_completion
                      AND (m2.position < m.position
                           OR (m2.position = m.position AND l2.position < l.position))
                      AND NOT EXISTS (SELECT 1 FROM enrollments_lessoncompletion lc2
                                       WHERE lc2.enrollment_id = e.id AND lc2.lesson_id = l2.id)
               ) ELSE true END AS prerequisites_met
          FROM courses_lesson l
          JOIN courses_module m ON m.id = l.module_id
          JOIN courses_course c ON c.id = m.course_id
          LEFT JOIN enrollments_enrollment e
            ON e.course_id = c.id AND e.user_id = %(user)s AND e.status IN {in_list(SEATED)}
         WHERE l.id = %(lesson)s
        """,  # noqa: S608
        {"lesson": lesson_id, "user": viewer.id if viewer else None},
    )
    if row is None:
        raise NOT_FOUND
    return row


def _check_access(row: dict[str, Any], viewer: Viewer | None) -> None:
    """enrollments.permissions.can_access_lesson and LessonViewSet._refusal: 404 for
    anyone who may not know the lesson, 403 with the reason for a learner it is locked to."""
    if can_teach(viewer, row["viewer_role"]):
        return
    if row["course_status"] not in PUBLIC_STATUSES:
        raise NOT_FOUND
    if row["is_preview"]:
        return
    if row["enrollment_id"] is None:
        raise NOT_FOUND
    unlock_at: datetime | None = row["release_at"]
    if unlock_at is None and row["release_after_days"] is not None:
        unlock_at = row["enrolled_at"] + timedelta(days=row["release_after_days"])
    if unlock_at is not None and timezone.now() < unlock_at:
        raise Problem(
            "not_released",
            "This lesson is not released yet.",
            unlock_at=iso(unlock_at),
        )
    if row["requires_prerequisites"] and not row["prerequisites_met"]:
        raise Problem("prerequisite", "Complete the earlier required lessons first.")


@raw_view("GET")
def lesson_detail(request: HttpRequest, lesson_id: str) -> HttpResponse:
    """GET /api/v1/lessons/{id}/: the content (LessonContentSerializer), one statement."""
    viewer = viewer_for(request)
    row = _lesson_row(int(lesson_id), viewer)
    _check_access(row, viewer)
    return ok(
        {
            "id": row["id"],
            "course": row["course_slug"],
            "module": row["module_id"],
            "title": row["title"],
            "position": row["position"],
            "kind": row["kind"],
            "body": row["body"],
            "body_html": row["body_html"],
            "video_url": row["video_url"],
            "file": file_url(request, row["file"]),
            "link_url": row["link_url"],
            "duration_minutes": row["duration_minutes"],
            "is_preview": row["is_preview"],
            "required_for_completion": row["required_for_completion"],
            "completed": row["completed"] if row["enrollment_id"] is not None else None,
        }
    )


@raw_view("POST")
def lesson_complete(request: HttpRequest, lesson_id: str) -> HttpResponse:
    """POST /api/v1/lessons/{id}/complete/: the writes of
    enrollments.services.progress.lesson_complete, then the same body."""
    viewer = require_viewer(request)
    no_body(request)
    row = _lesson_row(int(lesson_id), viewer)
    _check_access(row, viewer)
    if row["enrollment_id"] is None:  # staff, or a preview lesson: no seat to record on
        raise Problem("not_enrolled", "Enroll in the course first.")
    created = complete_in_sql(
        enrollment_id=row["enrollment_id"],
        lesson_id=row["id"],
        course_id=row["course_id"],
        kind=row["kind"],
        duration_minutes=row["duration_minutes"],
    )
    enrollment = fetch_one(f"{_ENROLLMENT_SELECT} WHERE e.id = %s", [row["enrollment_id"]])
    if enrollment is None:  # deleted since the commit (a course deleted meanwhile)
        raise NOT_FOUND
    return ok(
        {
            "lesson": row["id"],
            "completed": True,
            "created": created,
            "enrollment": enrollment_item(enrollment),
        }
    )


# The kinds a request completes without reading anything more (the rule `request`).
REQUEST_KINDS = ("text", "file", "link")

# enrollments.completion.grade_allows_completion over the provider
# assignments.services.gradebook.course_grade_standings: no passing grade, or no gradebook
# item, or a stored grade at least the passing grade that nothing provisional holds back
# (a not-final or drafted score that is not excused or overridden; the newest version of
# handed-in work without a released grade, unless its cell is excused or overridden).
_GRADE_ALLOWS = """
    c.passing_grade <= 0
    OR NOT EXISTS (SELECT 1 FROM assignments_gradeitem gi WHERE gi.course_id = c.id)
    OR (
        EXISTS (SELECT 1 FROM assignments_coursegrade cg
                 WHERE cg.course_id = c.id AND cg.user_id = e.user_id
                   AND cg.percent >= c.passing_grade)
        AND NOT EXISTS (
            SELECT 1 FROM assignments_score s JOIN assignments_gradeitem gi ON gi.id = s.item_id
             WHERE gi.course_id = c.id AND s.user_id = e.user_id AND NOT s.excused
               AND s.override_points IS NULL
               AND (NOT s.final OR s.draft_points IS NOT NULL))
        AND NOT EXISTS (
            SELECT 1 FROM assignments_submission sb
              JOIN assignments_assignment a ON a.id = sb.assignment_id
             WHERE a.course_id = c.id AND sb.user_id = e.user_id
               AND NOT EXISTS (SELECT 1 FROM assignments_submission n
                                WHERE n.assignment_id = sb.assignment_id
                                  AND n.user_id = sb.user_id AND n.version > sb.version)
               AND NOT EXISTS (SELECT 1 FROM assignments_grade g
                                WHERE g.submission_id = sb.id AND g.is_current
                                  AND g.status = 'released')
               AND NOT EXISTS (SELECT 1 FROM assignments_score s2
                                 JOIN assignments_gradeitem gi2 ON gi2.id = s2.item_id
                                WHERE gi2.course_id = c.id AND gi2.source = 'assignment'
                                  AND gi2.source_id = sb.assignment_id
                                  AND s2.user_id = sb.user_id
                                  AND (s2.excused OR s2.override_points IS NOT NULL)))
    )
"""


def _refuse_unless_by_request(
    cursor: Any, *, enrollment_id: int, lesson_id: int, course_id: int, kind: str,
    duration_minutes: int,
) -> None:  # fmt: skip
    """enrollments.selectors.request_decision_for for a lesson not completed yet: its
    activity (the one `activity_id` shows: published first, then oldest), the course's
    video threshold and the learner's video progress, in one statement; raises the
    service's 409 when the rule is not `request`."""
    cursor.execute(
        """
        SELECT c.video_complete_percent, q.id, q.passing_score_percent,
               a.id, a.complete_on, a.pass_percent, p.watched_seconds, p.duration_seconds
          FROM courses_course c
          LEFT JOIN LATERAL (SELECT id, passing_score_percent FROM quizzes_quiz
                              WHERE lesson_id = %(lesson)s AND %(kind)s = 'quiz'
                              ORDER BY published DESC, id LIMIT 1) q ON true
          LEFT JOIN LATERAL (SELECT id, complete_on, pass_percent FROM assignments_assignment
                              WHERE lesson_id = %(lesson)s AND %(kind)s = 'assignment'
                              ORDER BY is_published DESC, id LIMIT 1) a ON true
          LEFT JOIN enrollments_lessonprogress p
            ON p.enrollment_id = %(enrollment)s AND p.lesson_id = %(lesson)s
         WHERE c.id = %(course)s
        """,
        {"lesson": lesson_id, "kind": kind, "enrollment": enrollment_id, "course": course_id},
    )
    video_percent, quiz_id, pass_mark, work_id, complete_on, work_pass, watched, length = (
        cursor.fetchone()
    )
    activity = None
    if quiz_id is not None:
        passing = pass_mark > 0
        activity = LessonActivity(
            quiz_id, "pass" if passing else "submit", pass_mark if passing else None
        )
    elif work_id is not None:
        activity = LessonActivity(
            work_id, complete_on, work_pass if complete_on == "pass" else None
        )
    rule = completion_rule_for(kind=kind, activity=activity, video_percent=video_percent)
    progress = (
        None
        if watched is None
        else SimpleNamespace(watched_seconds=watched, duration_seconds=length)
    )
    decision = request_decision(
        rule=rule,
        lesson=SimpleNamespace(kind=kind, duration_minutes=duration_minutes),  # type: ignore[arg-type]
        progress=progress,  # type: ignore[arg-type]
    )
    if not decision.allowed:
        raise Problem(decision.code or "not_active", decision.message, **decision.extra)


def complete_in_sql(
    *, enrollment_id: int, lesson_id: int, course_id: int, kind: str = "text",
    duration_minutes: int = 0,
) -> bool:  # fmt: skip
    """Five statements at most for a text lesson (one more to read the rule of another
    kind, one more to complete the course), one transaction. Returns whether the
    completion is new."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The row lock serialises completions and recomputes of this enrollment, as
        # _lock_seated does; its status is checked under the lock.
        cursor.execute(
            "SELECT status, user_id FROM enrollments_enrollment WHERE id = %s FOR UPDATE",
            [enrollment_id],
        )
        status, user_id = cursor.fetchone()
        if status not in SEATED:
            raise Problem("not_active", "This enrollment is not active.")
        if kind not in REQUEST_KINDS:
            cursor.execute(
                "SELECT 1 FROM enrollments_lessoncompletion"
                " WHERE enrollment_id = %s AND lesson_id = %s",
                [enrollment_id, lesson_id],
            )
            if cursor.fetchone() is None:  # not completed yet: the rule decides
                _refuse_unless_by_request(
                    cursor, enrollment_id=enrollment_id, lesson_id=lesson_id,
                    course_id=course_id, kind=kind, duration_minutes=duration_minutes,
                )  # fmt: skip
        cursor.execute(
            """
            INSERT INTO enrollments_lessoncompletion (enrollment_id, lesson_id, completed_at)
            VALUES (%s, %s, %s)
            ON CONFLICT (enrollment_id, lesson_id) DO NOTHING
            RETURNING id
            """,
            [enrollment_id, lesson_id, now],
        )
        created = cursor.fetchone() is not None
        if not created:
            cursor.execute(
                "UPDATE enrollments_enrollment SET last_activity_at = %s WHERE id = %s",
                [now, enrollment_id],
            )
            return False
        # The rollup from counts (rollup_refresh): floor percent over required lessons,
        # capped at 100.
        cursor.execute(
            """
            UPDATE enrollments_enrollment e
               SET last_activity_at = %(now)s,
                   required_total = r.total,
                   completed_count = r.done,
                   percent = r.percent
              FROM (
                  SELECT t.total, d.done,
                         CASE WHEN t.total <= 0 THEN 0
                              ELSE least(100, d.done * 100 / t.total) END AS percent
                    FROM (SELECT count(*) AS total
                            FROM courses_lesson l JOIN courses_module m ON m.id = l.module_id
                           WHERE m.course_id = %(course)s AND l.required_for_completion) t,
                         (SELECT count(*) AS done
                            FROM enrollments_lessoncompletion lc
                            JOIN courses_lesson l ON l.id = lc.lesson_id
                           WHERE lc.enrollment_id = %(enrollment)s
                             AND l.required_for_completion) d
              ) r
             WHERE e.id = %(enrollment)s
            RETURNING e.percent
            """,
            {"now": now, "course": course_id, "enrollment": enrollment_id},
        )
        (percent,) = cursor.fetchone()
        if status != "active" or percent < 100:
            return True
        # At 100 %: an active enrollment becomes completed when the course grade allows it
        # (_mark_completed_if_done).
        cursor.execute(
            f"""
            UPDATE enrollments_enrollment e
               SET status = 'completed', completed_at = %(now)s
              FROM courses_course c
             WHERE e.id = %(enrollment)s AND c.id = e.course_id AND ({_GRADE_ALLOWS})
            RETURNING e.id
            """,  # noqa: S608 (a constant)
            {"now": now, "enrollment": enrollment_id},
        )
        if cursor.fetchone() is not None:
            # lms.outbox.services.outbox_publish: the message commits with the change.
            payload = {"enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id}
            cursor.execute(
                """
                INSERT INTO outbox_outboxmessage
                       (topic, payload, created_at, available_at, attempts, last_error)
                VALUES (%s, %s::jsonb, %s, %s, 0, '')
                """,
                [COURSE_COMPLETED_TOPIC, json.dumps(payload), now, now],
            )
            # The nudge outbox_publish schedules (the beat relay is the backstop; a broker
            # outage is logged once per window), reused rather than copied: the twin
            # measures the SQL, not a different nudge.
            transaction.on_commit(outbox_nudge)
    return True
