"""The quizzes API: authoring (quizzes, items, banks, questions) for the course team,
attempts (start, autosave, submit) for learners, the grading queue and statistics.

Thin views: reads through `quizzes.selectors`, decisions through `quizzes.permissions`,
writes through `quizzes.services`; outputs by `quizzes.presenters`. Anything a user may
not know exists is a 404; a visible thing they may not do is a 403.
"""

from quizzes.api.views.attempts import AttemptAnswerViewSet, AttemptViewSet
from quizzes.api.views.banks import BankViewSet, CourseBankViewSet, QuestionViewSet
from quizzes.api.views.quizzes import CourseQuizViewSet, QuizItemViewSet, QuizViewSet

__all__ = [
    "AttemptAnswerViewSet",
    "AttemptViewSet",
    "BankViewSet",
    "CourseBankViewSet",
    "CourseQuizViewSet",
    "QuestionViewSet",
    "QuizItemViewSet",
    "QuizViewSet",
]
