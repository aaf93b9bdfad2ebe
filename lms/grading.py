"""The contract between apps that produce scores and the gradebook that weighs them.

quizzes and assignments are siblings (ARCHITECTURE.md section 1): neither imports the other.
A producer (quizzes) sends these signals from its services, inside the transaction that made
the change; the gradebook (assignments) receives them and updates its items and its stored
course-grade rollup in that same transaction, so a score and the grade it moves commit or
roll back together.
"""

import django.dispatch

# A gradable item appeared, changed (title, points, due) or went away.
# kwargs: course_id: int, source: str ("quiz"), source_id: int, title: str,
#         points_possible: Decimal, due: datetime | None, deleted: bool
grade_item_changed = django.dispatch.Signal()

# A learner's score on an item changed.
# kwargs: course_id: int, user_id: int, source: str ("quiz"), source_id: int,
#         points_earned: Decimal | None (None: no score counts any more),
#         points_possible: Decimal, final: bool (False while essays wait for a grader)
score_changed = django.dispatch.Signal()
