"""`locking.deadlock_retried`: a transaction the database aborted to break a deadlock is run
again; other errors, and calls inside a caller's transaction, are not."""

import pytest
from django.db import OperationalError, transaction

from workflows.locking import DEADLOCK_ATTEMPTS, deadlock_retried


class DatabaseError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str = "40P01"):
    calls = []

    @deadlock_retried
    def work():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("aborted") from DatabaseError(sqlstate)
        return "done"

    return work, calls


def test_a_transaction_chosen_to_break_a_deadlock_is_run_again_until_it_commits():
    work, calls = failing(DEADLOCK_ATTEMPTS - 1)
    assert work() == "done"
    assert len(calls) == DEADLOCK_ATTEMPTS


def test_a_deadlock_that_repeats_past_the_attempts_is_raised():
    work, calls = failing(DEADLOCK_ATTEMPTS)
    with pytest.raises(OperationalError):
        work()
    assert len(calls) == DEADLOCK_ATTEMPTS


def test_other_database_errors_are_not_retried():
    work, calls = failing(1, sqlstate="40001")
    with pytest.raises(OperationalError):
        work()
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_runs_once():
    work, calls = failing(1)
    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert len(calls) == 1
