"""Pages of the assignments app: instructor pages (editor, speed grader, gradebook grid,
grade history), learner pages (hand in, my submissions, my grades) and the local
signed-download endpoint. Thin views: selectors read, permissions decide, services write."""

from assignments.views.files import file_download
from assignments.views.learner import learner_assignment, learner_assignments, learner_grades
from assignments.views.staff import (
    assignment_edit,
    gradebook_grid,
    score_history,
    speed_grader,
    staff_assignments,
)

__all__ = [
    "assignment_edit",
    "file_download",
    "gradebook_grid",
    "learner_assignment",
    "learner_assignments",
    "learner_grades",
    "score_history",
    "speed_grader",
    "staff_assignments",
]
