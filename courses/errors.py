"""The error codes the courses app declares (docs/api-errors.md is generated from them).

`not_published` is shared: any app refusing an action because a course or one of its
activities is not published raises it (409, the object's state forbids it).
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "courses",
    {
        "already_published": (409, "The course is already published."),
        "not_published": (
            409,
            "The object (a course, or an activity of one) is not published, and the action "
            "needs it to be.",
        ),
        "course_not_draft": (
            409,
            "Only draft courses can be deleted; a course anyone could have seen is archived.",
        ),
        "course_has_learners": (409, "The course has learners, so it cannot be deleted."),
        "last_owner": (409, "A course keeps at least one owner."),
        "published_course_needs_lessons": (
            409,
            "A published course keeps at least one lesson; archive it instead.",
        ),
        "category_has_children": (
            409,
            "The category has subcategories; delete or move them first.",
        ),
        "outline_changed": (
            409,
            "The ids sent are not exactly the course's modules and lessons (one was added or "
            "deleted since the order was read, or is not the course's): nothing was saved; "
            "read the outline again and resend.",
        ),
    },
)
