"""The error codes the enrollments app declares (docs/api-errors.md is generated from them).

The join refusals are shared: payments' checkout raises them through the one join check
(`enrollments.services.enrollment_join_check`). `not_enrolled` is raised by every app for
a learner action in a course the caller can see but holds no seat in. Field refusals (an
unknown email, a CSV that is too large or not UTF-8) are 400 `validation_error` items
naming the field, not codes here.
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "enrollments",
    {
        "payment_required": (
            402,
            "The course is paid: check out first. `checkout` names the endpoint; "
            "`price_amount` (minor units) and `currency` give the price.",
        ),
        "course_not_published": (403, "The course is not open for enrollment yet (a draft)."),
        "course_archived": (403, "The course is archived: nobody joins it any more."),
        "enrollment_closed": (
            403,
            "Enrollment for the course has not opened yet or has closed (its enrollment window).",
        ),
        "enrollment_revoked": (
            403,
            "The course staff revoked the learner's enrollment (or a refund did); only the "
            "staff can add them again.",
        ),
        "not_enrolled": (
            403,
            "A learner action (completing a lesson, taking a quiz, handing in work) in a "
            "course the caller can see but holds no seat in: enroll first.",
        ),
        "not_released": (
            403,
            "The lesson is not released to this learner yet; `unlock_at` says when it is.",
        ),
        "prerequisite": (403, "The lesson needs the earlier required lessons completed first."),
        "already_enrolled": (
            409,
            "The learner already holds a seat in the course (or, joining by themselves, "
            "waits on its waitlist).",
        ),
        "course_full": (
            409,
            "Every seat of the course is taken. Checkout refuses it so nobody pays for a "
            "seat they cannot have; enrolling in a free course joins the waitlist instead.",
        ),
        "not_active": (
            409,
            "The enrollment no longer allows this: it was dropped or revoked (or, for "
            "lesson progress, it is still on the waitlist).",
        ),
        "completes_with_quiz": (
            409,
            "The lesson completes through its quiz (submitting it, or passing it when the "
            "quiz has a pass mark), not on the learner's request. `rule` (`quiz_submit` or "
            "`quiz_pass`) and `activity_id` (the quiz) say which.",
        ),
        "completes_with_assignment": (
            409,
            "The lesson completes through its assignment (handing it in, or a passing "
            "grade), not on the learner's request. `rule` (`assignment_submit` or "
            "`assignment_pass`) and `activity_id` (the assignment) say which.",
        ),
        "video_not_watched": (
            409,
            "The video lesson completes once the learner has watched enough of it: "
            "`watched_seconds` so far, `needed_seconds` (null while the video's length is "
            "unknown) and the course's `video_percent`.",
        ),
    },
)
