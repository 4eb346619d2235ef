"""The job rules every screen reads: what is sent, what is billed, and how each status reads."""

from __future__ import annotations

import pytest

from fluxdesk.core.jobs import (
    BILLED_STATES,
    SENT_STATES,
    STATUS_WORDS,
    Billing,
    JobStatus,
    billing,
    is_sent,
    status_text,
)


def test_every_status_has_one_word() -> None:
    assert set(STATUS_WORDS) == set(JobStatus)
    assert all(word and word[0].isupper() for word in STATUS_WORDS.values())
    assert len(set(STATUS_WORDS.values())) == len(JobStatus)


def test_sent_means_bfl_has_or_may_have_the_job() -> None:
    assert {status for status in JobStatus if is_sent(status)} == SENT_STATES == {
        JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.DOWNLOADING}
    assert not SENT_STATES & {status for status in JobStatus if status.is_final}


@pytest.mark.parametrize(("status", "billed", "expected"), [
    (JobStatus.DONE, True, Billing.BILLED),
    (JobStatus.DONE, False, Billing.NOT_BILLED),
    (JobStatus.MODERATED, False, Billing.NOT_BILLED),
    (JobStatus.MODERATED, None, Billing.NOT_BILLED),
    (JobStatus.FAILED, False, Billing.NOT_BILLED),
    (JobStatus.CANCELLED, None, Billing.NOT_BILLED),
    (JobStatus.QUEUED, None, Billing.NOT_BILLED),
    (JobStatus.EXPIRED, True, Billing.LOST),
    (JobStatus.UNKNOWN, None, Billing.MAYBE),
    (JobStatus.SUBMITTING, None, Billing.MAYBE),
    (JobStatus.SUBMITTED, None, Billing.PENDING),
    (JobStatus.DOWNLOADING, None, Billing.PENDING),
])
def test_billing_of_a_job(status: JobStatus, billed: bool | None, expected: Billing) -> None:
    assert billing(status, billed) is expected


def test_the_billed_states_are_the_ones_billing_charges_for_when_they_end() -> None:
    charged = {status for status in JobStatus
               if status.is_final and billing(status, status in BILLED_STATES) in (Billing.BILLED, Billing.LOST)}
    assert charged == BILLED_STATES


@pytest.mark.parametrize(("status", "billed", "text"), [
    (JobStatus.DONE, True, "Done"),
    (JobStatus.DONE, False, "Done — not billed"),
    (JobStatus.MODERATED, False, "Blocked by BFL's safety filter — not billed"),
    (JobStatus.EXPIRED, True, "Link expired — billed, image lost"),
    (JobStatus.UNKNOWN, None, "Outcome unknown — may be billed"),
    (JobStatus.SUBMITTED, None, "Generating — billed if it finishes"),
    (JobStatus.CANCELLED, None, "Cancelled — not billed"),
])
def test_a_status_reads_with_its_bill(status: JobStatus, billed: bool | None, text: str) -> None:
    assert status_text(status, billed) == text
