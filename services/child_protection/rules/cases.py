"""The case state machine of Decree 56/2017/NĐ-CP (Art 20–26). Pure.

::

    reported ──initial_assessment──▶ initially_assessed ──detailed_assessment──▶ assessed
       ▲                                                                          │ ▲   ▲
       │                                                                 draft_plan │   │ reject_plan
     reopen                                                                        ▼   │   │
       │                                        plan_drafted ──approve_plan──▶ plan_approved
     closed ◀──close── in_review ◀──review── in_support ◀──start_support────────────┘
                          │
                          └──new_plan──▶ assessed

Forms: 01 report, 02 initial risk assessment, 03 detailed assessment, 04/05 the plan, 06 review and close,
07 temporary separation (recorded beside the steps, see :mod:`.deadlines`).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REPORTED = "reported"
    INITIALLY_ASSESSED = "initially_assessed"
    ASSESSED = "assessed"
    PLAN_DRAFTED = "plan_drafted"
    PLAN_APPROVED = "plan_approved"
    IN_SUPPORT = "in_support"
    IN_REVIEW = "in_review"
    CLOSED = "closed"


class Action(StrEnum):
    INITIAL_ASSESSMENT = "initial_assessment"
    DETAILED_ASSESSMENT = "detailed_assessment"
    DRAFT_PLAN = "draft_plan"
    APPROVE_PLAN = "approve_plan"
    REJECT_PLAN = "reject_plan"
    START_SUPPORT = "start_support"
    REVIEW = "review"
    CLOSE = "close"
    NEW_PLAN = "new_plan"
    REOPEN = "reopen"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.REPORTED, Action.INITIAL_ASSESSMENT): Status.INITIALLY_ASSESSED,
    (Status.INITIALLY_ASSESSED, Action.DETAILED_ASSESSMENT): Status.ASSESSED,
    (Status.ASSESSED, Action.DRAFT_PLAN): Status.PLAN_DRAFTED,
    (Status.PLAN_DRAFTED, Action.APPROVE_PLAN): Status.PLAN_APPROVED,
    (Status.PLAN_DRAFTED, Action.REJECT_PLAN): Status.ASSESSED,
    (Status.PLAN_APPROVED, Action.START_SUPPORT): Status.IN_SUPPORT,
    (Status.IN_SUPPORT, Action.REVIEW): Status.IN_REVIEW,
    (Status.IN_REVIEW, Action.CLOSE): Status.CLOSED,
    (Status.IN_REVIEW, Action.NEW_PLAN): Status.ASSESSED,
    (Status.CLOSED, Action.REOPEN): Status.REPORTED,
}

FORMS: dict[Action, str] = {
    Action.INITIAL_ASSESSMENT: "02",
    Action.DETAILED_ASSESSMENT: "03",
    Action.DRAFT_PLAN: "04",
    Action.APPROVE_PLAN: "05",
    Action.REVIEW: "06",
    Action.CLOSE: "06",
    Action.NEW_PLAN: "06",
}
"""The Decree 56 form an action records (Form 01 is the report itself)."""


class InvalidTransition(ValueError):
    def __init__(self, status: Status, action: Action) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is status)
        super().__init__(
            f"a case in status {status.value} cannot take {action.value}; possible: {', '.join(allowed) or 'none'}"
        )
        self.status, self.action, self.allowed = status, action, allowed


def next_status(status: Status, action: Action) -> Status:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status, action) from None


def actions_from(status: Status) -> list[Action]:
    return [a for (s, a) in TRANSITIONS if s is status]


def is_open(status: Status) -> bool:
    return status is not Status.CLOSED
