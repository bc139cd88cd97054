"""The disposition of lost-contact cases (issue 10), one module per group of actions.

- `access`: who may take which step over which case (role level and subtree), the case's settings.
- `search_steps`: open, attempt, unreachable, findings (before the chain).
- `chain`: propose, review (预审), resolve (党员大会), approve (审核/审批), reject.
- `status`: restore (2019), death, and what a decision does to the member.
- `notices`: outbox messages to whoever the next step waits for, and to the branch on decision/rejection.
- `queries`: the case list (overdue first), the case card, the approval queue.

Every function takes `Services` and the acting `Actor` and re-checks permissions itself.
"""
