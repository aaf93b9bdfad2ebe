"""Raw twin of the course roster: GET /api/v1/courses/{slug}/enrollments/ for the team.

Real endpoint: enrollments.api.views.RosterViewSet.list (roster_list: every enrollment of
the course with its user, RosterEntrySerializer), paginated by
lms.api.pagination.CursorPagination, a keyset on the enrollment id. The twin decodes
DRF's cursor (base64 of `o=<offset>&r=<reverse>&p=<position>`) into a WHERE on e.id, so
a deep page costs what the first does (no COUNT, no OFFSET), and rebuilds DRF's
next/previous links from the page's positions.
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib import parse

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from rest_framework.pagination import CursorPagination

from bench.baselines.raw.common import (
    NOT_FOUND,
    PUBLIC_STATUSES,
    Problem,
    api_url,
    can_teach,
    fetch_all,
    fetch_one,
    field_errors,
    iso,
    ok,
    page_size,
    raw_view,
    replace_query_param,
    require_viewer,
)
from bench.baselines.raw.learning import accommodations
from enrollments.api.serializers import STATUS_HELP
from lms.api.pagination import list_meta

ENROLLMENT_STATUSES = ("active", "waitlisted", "completed", "dropped", "revoked")
# DRF's CursorPagination.offset_cutoff: larger offsets in a cursor are clamped.
OFFSET_CUTOFF = 1000

_ROSTER_SELECT = """
    SELECT e.id, u.id AS user_id, u.email, u.first_name, u.last_name, e.status, e.source,
           e.enrolled_at, e.waitlisted_at, e.completed_at, e.last_activity_at,
           e.completed_count, e.required_total, e.percent,
           e.time_multiplier, e.extra_attempts, e.deadline_extension_days
      FROM enrollments_enrollment e
      JOIN accounts_user u ON u.id = e.user_id
"""


def _roster_item(row: dict[str, Any]) -> dict[str, Any]:
    """enrollments.api.serializers.RosterEntrySerializer."""
    return {
        "id": row["id"],
        "user": {
            "id": row["user_id"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
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
        "accommodations": accommodations(row),
    }


def _real_ordering() -> str:
    """The real roster's keyset ("id" or "-id"), read from its paginator so that the twin
    cannot silently drift from it."""
    from enrollments.api.views import RosterViewSet

    paginator = RosterViewSet.pagination_class
    if paginator is None or not issubclass(paginator, CursorPagination):
        raise ImproperlyConfigured("The raw roster twin expects a cursor-paginated roster.")
    ordering = paginator.ordering
    ordering = ordering if isinstance(ordering, str) else ordering[0]
    if ordering not in ("id", "-id"):
        raise ImproperlyConfigured(f"The raw roster twin keysets on id, not {ordering!r}.")
    return ordering


@raw_view("GET")
def roster_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Two statements: the course with the viewer's role, then the page."""
    viewer = require_viewer(request)
    course = fetch_one(
        """
        SELECT c.id, c.status,
               (SELECT role FROM courses_coursestaff s
                 WHERE s.course_id = c.id AND s.user_id = %(user)s) AS viewer_role
          FROM courses_course c WHERE c.slug = %(slug)s
        """,
        {"slug": slug, "user": viewer.id},
    )
    if course is None:
        raise NOT_FOUND
    teaches = can_teach(viewer, course["viewer_role"])
    if course["status"] not in PUBLIC_STATUSES and not teaches:
        raise NOT_FOUND  # a draft is not disclosed
    if not teaches:
        raise Problem("permission_denied", "Only the course team sees its learners.")
    where = "e.course_id = %(course)s"
    args: dict[str, Any] = {"course": course["id"]}
    if "status" in request.GET:
        if request.GET["status"] not in ENROLLMENT_STATUSES:  # RosterQuerySerializer
            raise field_errors([("status", "invalid_choice", STATUS_HELP)])
        where += " AND e.status = %(status)s"
        args["status"] = request.GET["status"]
    return _cursor_page(request, where, args, descending=_real_ordering().startswith("-"))


# --- cursor (keyset) pagination ---------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    offset: int
    reverse: bool
    position: str | None


def decode_cursor(request: HttpRequest) -> Cursor | None:
    """DRF's CursorPagination.decode_cursor; a malformed cursor is 404 "Invalid cursor"."""
    encoded = request.GET.get("cursor")
    if encoded is None:
        return None
    try:
        querystring = base64.b64decode(encoded.encode("ascii")).decode("ascii")
        tokens = parse.parse_qs(querystring, keep_blank_values=True)
        offset = int(tokens.get("o", ["0"])[0])
        if offset < 0:
            raise ValueError(offset)
        reverse = bool(int(tokens.get("r", ["0"])[0]))
        position = tokens.get("p", [None])[0]
        if position is not None:
            int(position)  # the keyset column is an integer id
    except (TypeError, ValueError, UnicodeError, binascii.Error) as exc:
        raise Problem("not_found", "Invalid cursor") from exc
    return Cursor(offset=min(offset, OFFSET_CUTOFF), reverse=reverse, position=position)


def encode_cursor(base_url: str, cursor: Cursor) -> str:
    tokens: dict[str, str] = {}
    if cursor.offset != 0:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = cursor.position
    encoded = base64.b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode()
    return replace_query_param(base_url, "cursor", encoded)


def _cursor_page(
    request: HttpRequest, where: str, args: dict[str, Any], *, descending: bool
) -> HttpResponse:
    """DRF's CursorPagination.paginate_queryset and its links, in SQL: the position is a
    WHERE on e.id, never an OFFSET (DRF's own offset only appears for duplicate positions,
    which a unique id never has)."""
    size = page_size(request)
    cursor = decode_cursor(request)
    offset, reverse, current = (
        (0, False, None)
        if cursor is None
        else (
            cursor.offset,
            cursor.reverse,
            cursor.position,
        )
    )
    scan_descending = descending != reverse
    if current is not None:
        where += " AND e.id < %(position)s" if scan_descending else " AND e.id > %(position)s"
        args = {**args, "position": int(current)}
    direction = "DESC" if scan_descending else "ASC"
    # DRF's offset is only non-zero after runs of equal positions, which ids never have.
    skip = " OFFSET %(offset)s" if offset else ""
    rows = fetch_all(
        f"{_ROSTER_SELECT} WHERE {where} ORDER BY e.id {direction} LIMIT %(limit)s{skip}",
        {**args, "limit": size + 1, "offset": offset},
    )
    page = rows[:size]
    following = str(rows[-1]["id"]) if len(rows) > size else None
    if reverse:
        page.reverse()
        has_next, has_previous = current is not None or offset > 0, following is not None
        next_position, previous_position = current, following
    else:
        has_next, has_previous = following is not None, current is not None or offset > 0
        next_position, previous_position = following, current
    positions = [str(row["id"]) for row in page]
    base_url = api_url(request)
    meta = list_meta(
        count=None,  # a cursor list is not counted (lms.api.pagination.CursorPagination)
        page_size=size,
        next_link=_next_link(
            base_url,
            positions,
            cursor,
            size,
            has_next,
            has_previous,
            next_position,
            previous_position,
        ),
        previous=_previous_link(
            base_url,
            positions,
            cursor,
            size,
            has_next,
            has_previous,
            next_position,
            previous_position,
        ),
    )
    return ok([_roster_item(row) for row in page], meta)


def _next_link(
    base_url: str,
    positions: list[str],
    cursor: Cursor | None,
    size: int,
    has_next: bool,
    has_previous: bool,
    next_position: str | None,
    previous_position: str | None,
) -> str | None:
    """CursorPagination.get_next_link, line for line over the page's positions."""
    if not has_next:
        return None
    compare: str | None
    if positions and cursor and cursor.reverse and cursor.offset != 0:
        compare = positions[-1]
    else:
        compare = next_position
    offset, position, unique = _edge_run(list(reversed(positions)), compare)
    if positions and not unique:
        if not has_previous:
            offset, position = size, None
        elif cursor is not None and cursor.reverse:
            offset, position = 0, previous_position
        else:
            offset, position = (cursor.offset if cursor else 0) + size, previous_position
    if not positions:
        position = next_position
    return encode_cursor(base_url, Cursor(offset=offset, reverse=False, position=position))


def _previous_link(
    base_url: str,
    positions: list[str],
    cursor: Cursor | None,
    size: int,
    has_next: bool,
    has_previous: bool,
    next_position: str | None,
    previous_position: str | None,
) -> str | None:
    """CursorPagination.get_previous_link, line for line."""
    if not has_previous:
        return None
    compare: str | None
    if positions and cursor and not cursor.reverse and cursor.offset != 0:
        compare = positions[0]
    else:
        compare = previous_position
    offset, position, unique = _edge_run(positions, compare)
    if positions and not unique:
        if not has_next:
            offset, position = size, None
        elif cursor is not None and cursor.reverse:
            offset, position = (cursor.offset if cursor else 0) + size, next_position
        else:
            offset, position = 0, next_position
    if not positions:
        position = previous_position
    return encode_cursor(base_url, Cursor(offset=offset, reverse=True, position=position))


def _edge_run(positions: list[str], compare: str | None) -> tuple[int, str | None, bool]:
    """DRF's loop in both link methods: how many positions at the page's edge repeat
    `compare`, the first one that differs, and whether there is one."""
    offset = 0
    for position in positions:
        if position != compare:
            return offset, position, True
        offset += 1  # equal to `compare`, which DRF then sets to it: unchanged
    return offset, None, False
