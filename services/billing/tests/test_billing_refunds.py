"""Refunds end to end in the service: one story per rule, claims, the reviewers'
queue, payouts through the sandbox (pending, then its signed webhook), at most once, escalation."""

import threading
from collections import Counter
from datetime import timedelta

import pytest

from billing.bootstrap import runtime as make_runtime
from billing.handlers import handlers
from billing.scheduler import Scheduler
from billing.service import BillingService
from mumaris_shared.consumer import Consumer
from mumaris_shared.events import Event, isoformat

pytestmark = pytest.mark.integration

OWNER, STRANGER = "acct-sara", "acct-omar"
DAY = timedelta(days=1)


class Payouts:
    """Counts the refunds started at the provider and keeps the refund webhooks the sandbox sent."""

    def __init__(self, *services):
        self.started: list[str] = []
        self.notices: list[tuple[bytes, dict]] = []
        for service in services:
            self._watch(service.billing.provider)

    def _watch(self, provider):
        start, transport = provider.start_refund, provider.transport

        def counted(refund):
            self.started.append(refund.id)
            return start(refund)

        def recorded(url, body, headers):
            if b'"type":"refund"' in body:
                self.notices.append((body, dict(headers)))
            return transport(url, body, headers)

        provider.start_refund, provider.transport = counted, recorded


@pytest.fixture
def payouts(billing):
    return Payouts(billing.service)


def _paid_request(billing, number="REQ-1", owner=OWNER):
    billing.submit(number, owner)
    return billing.pay_all(number, owner)


def _statuses(billing):
    return sorted((row.rule, row.status, row.amount_halalas) for row in billing.rows("refunds"))


# --- one story per rule -------------------------------------------------------------------------------
@pytest.mark.postgres
def test_withdrawn_within_the_window_half_the_service_fee_comes_back_once(billing, payouts):
    invoices = _paid_request(billing)
    billing.clock.advance(10 * DAY)
    billing.withdraw("REQ-1", OWNER)

    refunds = billing.refunds("REQ-1", OWNER)
    assert {kind: (r["status"], r["amount_halalas"], r["rule"], r["origin"]) for kind, r in refunds.items()} == {
        "service": ("approved", 45000, "withdrawn_within_window", "withdrawal"),
        "administrative": ("rejected", 0, "administrative_fee_not_refundable", "withdrawal"),
    }
    assert refunds["service"]["invoice"] == invoices["service"]["id"]
    decided = billing.events("billing.refund_decided")
    assert sorted((e["rule"], e["status"], e["amount_halalas"]) for e in decided) == [
        ("administrative_fee_not_refundable", "rejected", 0),
        ("withdrawn_within_window", "approved", 45000),
    ]
    assert all(e["account_id"] == OWNER and e["application_number"] == "REQ-1" for e in decided)

    billing.tick()  # the payout starts; the sandbox then sends its signed webhook
    assert payouts.started == [refunds["service"]["id"]] and len(payouts.notices) == 1
    [paid] = billing.events("billing.refund_paid")
    assert (paid["refund_id"], paid["amount_halalas"], paid["invoice_id"]) == (
        refunds["service"]["id"],
        45000,
        invoices["service"]["id"],
    )
    service = billing.refunds("REQ-1", OWNER)["service"]
    assert service["status"] == "paid" and service["paid_at"] == isoformat(billing.clock())
    [row] = [r for r in billing.rows("refunds") if r.status == "paid"]
    assert row.provider_reference.startswith("sbx_rf_")

    billing.clock.advance(DAY)
    assert billing.tick() == 0
    assert len(payouts.started) == 1 and len(billing.events("billing.refund_paid")) == 1


def test_withdrawn_after_the_window_nothing_and_the_answer_names_the_rule(billing, payouts):
    invoices = _paid_request(billing)
    billing.clock.advance(31 * DAY)
    billing.withdraw("REQ-1", OWNER)
    assert billing.refunds("REQ-1", OWNER)["service"]["rule"] == "refund_window_passed"
    again = billing.claim_refund(invoices["service"]["id"], OWNER)
    assert (again.status_code, again.json["status"], again.json["rule"], again.json["amount_halalas"]) == (
        200,
        "rejected",
        "refund_window_passed",
        0,
    )
    billing.tick()
    assert payouts.started == [] and billing.events("billing.refund_paid") == []


def test_a_rejected_request_gets_no_refund(billing, payouts):
    invoices = _paid_request(billing)
    billing.review_started("REQ-1", OWNER)
    billing.reject("REQ-1", OWNER)
    answer = billing.claim_refund(invoices["service"]["id"], OWNER)
    assert (answer.status_code, answer.json["status"], answer.json["rule"]) == (201, "rejected", "request_decided")
    [decided] = billing.events("billing.refund_decided")
    assert (decided["rule"], decided["status"]) == ("request_decided", "rejected")
    billing.tick()
    assert payouts.started == []


def test_review_started_before_the_withdrawal_no_refund(billing, payouts):
    _paid_request(billing)
    billing.clock.advance(DAY)
    started_at = billing.clock()
    billing.clock.advance(DAY)
    billing.withdraw("REQ-1", OWNER, review_started_at=started_at)  # carried on the withdrawal
    assert billing.refunds("REQ-1", OWNER)["service"]["rule"] == "review_started"
    assert billing.rows("fee_accounts")[0].review_started_at == started_at
    billing.tick()
    assert payouts.started == []


def test_review_started_learned_from_its_own_event_counts_too(billing):
    _paid_request(billing)
    billing.review_started("REQ-1", OWNER)
    billing.clock.advance(DAY)
    billing.withdraw("REQ-1", OWNER)  # an older producer: no review_started_at on the withdrawal
    assert billing.refunds("REQ-1", OWNER)["service"]["rule"] == "review_started"


def test_a_duplicate_payment_is_refunded_in_full_and_paid_once(billing, payouts):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    first, second = (billing.start_payment(invoice["id"], OWNER).json["id"] for _ in range(2))
    billing.complete(first, OWNER)
    billing.complete(second, OWNER)
    [refund] = billing.refunds("REQ-1", OWNER).values()
    assert (refund["rule"], refund["status"], refund["amount_halalas"], refund["payment"]) == (
        "duplicate_payment",
        "approved",
        90000,
        second,
    )
    billing.tick()
    billing.tick()
    assert payouts.started == [refund["id"]]
    [paid] = billing.events("billing.refund_paid")
    assert paid["amount_halalas"] == 90000
    # The fee itself is still paid and can still be claimed under the policy: a separate refund.
    claim = billing.claim_refund(invoice["id"], OWNER)
    assert claim.status_code == 201 and claim.json["id"] != refund["id"] and claim.json["rule"] == "needs_review"


def test_the_administrative_fee_is_never_refunded(billing, payouts):
    invoices = _paid_request(billing)
    answer = billing.claim_refund(invoices["administrative"]["id"], OWNER)
    assert (answer.status_code, answer.json["status"], answer.json["amount_halalas"], answer.json["rule"]) == (
        201,
        "rejected",
        0,
        "administrative_fee_not_refundable",
    )
    billing.withdraw("REQ-1", OWNER)
    assert billing.refunds("REQ-1", OWNER)["administrative"]["id"] == answer.json["id"]  # nothing new
    billing.tick()
    assert payouts.started == [billing.refunds("REQ-1", OWNER)["service"]["id"]]  # only the service fee's half


# --- claims -------------------------------------------------------------------------------------------
def test_a_claim_repeated_gives_the_same_refund_and_one_payout(billing, payouts):
    invoices = _paid_request(billing)
    billing.withdraw("REQ-1", OWNER)
    automatic = billing.refunds("REQ-1", OWNER)["service"]
    answers = [billing.claim_refund(invoices["service"]["id"], OWNER) for _ in range(3)]
    assert {(a.status_code, a.json["id"]) for a in answers} == {(200, automatic["id"])}
    billing.tick()
    answers.append(billing.claim_refund(invoices["service"]["id"], OWNER))
    assert answers[-1].json["id"] == automatic["id"] and answers[-1].json["status"] == "paid"
    assert len(billing.rows("refunds")) == 2 and len(payouts.started) == 1
    assert len(billing.events("billing.refund_paid")) == 1


def test_a_claim_first_then_the_withdrawal_decides_it_and_adds_nothing(billing, payouts):
    invoices = _paid_request(billing)
    first = billing.claim_refund(invoices["service"]["id"], OWNER)
    assert (first.status_code, first.json["status"], first.json["rule"]) == (201, "pending_review", "needs_review")
    assert first.json["decide_by"] == isoformat(billing.clock() + 15 * DAY)
    assert first.json["claim_reason"] == "I no longer need the classification"
    again = billing.claim_refund(invoices["service"]["id"], OWNER)
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])

    billing.clock.advance(DAY)
    billing.withdraw("REQ-1", OWNER)
    service = billing.refunds("REQ-1", OWNER)["service"]
    assert (service["id"], service["status"], service["rule"], service["amount_halalas"]) == (
        first.json["id"],
        "approved",
        "withdrawn_within_window",
        45000,
    )
    billing.tick()
    assert payouts.started == [first.json["id"]]


def test_a_repeated_withdrawal_event_creates_nothing_new(billing, payouts):
    _paid_request(billing)
    event = billing.withdraw("REQ-1", OWNER)
    before = billing.snapshot()
    assert billing.consumer.handle(event) is False  # the same event: the inbox drops it
    billing.withdraw("REQ-1", OWNER)  # the withdrawal announced again under another id
    assert {k: v for k, v in billing.snapshot().items() if k != "inbox"} == {
        k: v for k, v in before.items() if k != "inbox"
    }
    billing.tick()
    assert len(payouts.started) == 1


def test_a_claim_of_an_unpaid_foreign_or_unknown_invoice_is_refused_and_changes_nothing(billing):
    billing.submit("REQ-1", OWNER)
    invoices = billing.invoices("REQ-1", OWNER)
    billing.pay(invoices["administrative"]["id"], OWNER)
    before = billing.snapshot()
    error = billing.refused(billing.claim_refund(invoices["service"]["id"], OWNER), 409, "invoice_not_paid")
    assert error["details"] == {"status": "unpaid"}
    billing.refused(billing.claim_refund(invoices["administrative"]["id"], STRANGER), 403, "forbidden")
    billing.refused(billing.claim_refund("no-such-invoice", OWNER), 404, "not_found")
    for body in (
        {"invoice": invoices["service"]["id"]},
        {"invoice": invoices["service"]["id"], "reason": ""},
        {"invoice": invoices["service"]["id"], "reason": "x", "amount_halalas": 1},
    ):
        response = billing.client.post("/v1/refunds", json=body, headers=billing.bearer(OWNER, "applicant"))
        billing.refused(response, 422, "validation_failed")
    billing.refused(billing.client.post("/v1/refunds", json={"invoice": "x", "reason": "y"}), 401, "unauthenticated")
    assert billing.snapshot() == before


def test_refunds_are_shown_to_their_owner_and_staff_only(billing):
    _paid_request(billing)
    billing.withdraw("REQ-1", OWNER)
    assert len(billing.client.get("/v1/refunds?application=REQ-1", headers=billing.reviewer()).json) == 2
    stranger = billing.client.get("/v1/refunds?application=REQ-1", headers=billing.bearer(STRANGER, "applicant"))
    billing.refused(stranger, 404, "not_found")
    billing.refused(
        billing.client.get("/v1/refunds?status=pending_review", headers=billing.bearer(OWNER, "applicant")),
        403,
        "forbidden",
    )
    billing.refused(billing.client.get("/v1/refunds", headers=billing.reviewer()), 422, "validation_failed")
    refund_id = billing.refunds("REQ-1", OWNER)["service"]["id"]
    assert billing.client.get(f"/v1/refunds/{refund_id}", headers=billing.bearer(OWNER, "applicant")).status_code == 200
    billing.refused(
        billing.client.get(f"/v1/refunds/{refund_id}", headers=billing.bearer(STRANGER, "applicant")), 404, "not_found"
    )


# --- the reviewers' queue -----------------------------------------------------------------------------
def test_the_reviewers_queue_oldest_first_and_their_decisions(billing, payouts):
    first_invoices = _paid_request(billing, "REQ-1", OWNER)
    second_invoices = _paid_request(billing, "REQ-2", STRANGER)
    older = billing.claim_refund(first_invoices["service"]["id"], OWNER).json
    billing.clock.advance(DAY)
    newer = billing.claim_refund(second_invoices["service"]["id"], STRANGER).json
    queue = billing.client.get("/v1/refunds?status=pending_review", headers=billing.reviewer()).json
    assert [(r["id"], r["decide_by"]) for r in queue] == [
        (older["id"], older["decide_by"]),
        (newer["id"], newer["decide_by"]),
    ]

    before = billing.snapshot()
    billing.refused(billing.decide_refund(older["id"], decision="reject"), 422, "validation_failed")
    billing.refused(
        billing.decide_refund(older["id"], decision="approve", amount_halalas=90001), 422, "validation_failed"
    )
    billing.refused(
        billing.decide_refund(older["id"], decision="reject", reason="no", amount_halalas=5), 422, "validation_failed"
    )
    billing.refused(billing.decide_refund("no-such-refund", decision="approve"), 404, "not_found")
    as_applicant = billing.client.post(
        f"/v1/refunds/{older['id']}/decision", json={"decision": "approve"}, headers=billing.bearer(OWNER, "applicant")
    )
    billing.refused(as_applicant, 403, "forbidden")
    assert billing.snapshot() == before

    approved = billing.decide_refund(older["id"], decision="approve", amount_halalas=30000, reason="not served")
    assert (approved.status_code, approved.json["status"], approved.json["amount_halalas"], approved.json["rule"]) == (
        200,
        "approved",
        30000,
        "reviewer_decision",
    )
    rejected = billing.decide_refund(newer["id"], decision="reject", reason="the service is under way")
    assert (rejected.json["status"], rejected.json["amount_halalas"]) == ("rejected", 0)
    billing.refused(billing.decide_refund(newer["id"], decision="approve"), 409, "already_decided")
    decided = billing.events("billing.refund_decided")[-2:]
    assert [(e["status"], e["amount_halalas"], e["reason"]) for e in decided] == [
        ("approved", 30000, "not served"),
        ("rejected", 0, "the service is under way"),
    ]
    assert billing.client.get("/v1/refunds?status=pending_review", headers=billing.reviewer()).json == []

    billing.tick()
    assert payouts.started == [older["id"]]
    assert [e["amount_halalas"] for e in billing.events("billing.refund_paid")] == [30000]


def test_an_approval_defaults_to_the_whole_fee_claimed(billing):
    invoices = _paid_request(billing)
    claim = billing.claim_refund(invoices["service"]["id"], OWNER).json
    assert billing.decide_refund(claim["id"], decision="approve").json["amount_halalas"] == 90000


def test_a_pending_claim_is_decided_by_the_rules_when_review_starts(billing):
    invoices = _paid_request(billing)
    claim = billing.claim_refund(invoices["service"]["id"], OWNER).json
    billing.review_started("REQ-1", OWNER)
    refund = billing.refunds("REQ-1", OWNER)["service"]
    assert (refund["id"], refund["status"], refund["rule"]) == (claim["id"], "rejected", "review_started")


def test_a_waiver_after_an_approved_part_refund_pays_back_only_the_rest(billing, payouts):
    invoices = _paid_request(billing)
    claim = billing.claim_refund(invoices["service"]["id"], OWNER).json
    billing.decide_refund(claim["id"], decision="approve", amount_halalas=45000)
    response = billing.client.post(
        "/v1/waivers",
        json={"application": "REQ-1", "decision_number": "SG-1", "kinds": ["service"]},
        headers=billing.secretary(),
    )
    assert response.status_code == 201, response.json
    assert _statuses(billing) == [("reviewer_decision", "approved", 45000), ("waiver_after_payment", "approved", 45000)]
    billing.tick()
    assert sum(e["amount_halalas"] for e in billing.events("billing.refund_paid")) == 90000


# --- the payout webhook -------------------------------------------------------------------------------
@pytest.mark.postgres
def test_a_replayed_refund_webhook_is_refused_and_pays_nothing(billing, payouts):
    _paid_request(billing)
    billing.withdraw("REQ-1", OWNER)
    billing.tick()
    [(body, headers)] = payouts.notices
    before = billing.snapshot()
    replay = billing.client.post("/v1/webhooks/sandbox", data=body, headers=headers)
    billing.refused(replay, 409, "webhook_replayed")
    assert billing.snapshot() == before

    # The provider telling it again under a new id: acknowledged, the paid refund left as it is.
    refund_id = billing.refunds("REQ-1", OWNER)["service"]["id"]
    status, answer = billing.service.billing.provider.complete_refund(refund_id)
    assert (status, answer["effect"]) == (200, "ignored")
    assert len(billing.events("billing.refund_paid")) == 1 and len(payouts.started) == 1


def test_a_refund_webhook_for_an_unknown_refund_changes_nothing(billing):
    before = billing.snapshot()
    status, answer = billing.service.billing.provider.complete_refund("no-such-refund")
    assert status == 404 and answer["error"]["code"] == "not_found"
    assert billing.snapshot() == before


@pytest.mark.postgres
def test_an_unacknowledged_refund_webhook_is_sent_again_later(billing, payouts):
    _paid_request(billing)
    billing.withdraw("REQ-1", OWNER)
    provider = billing.service.billing.provider
    working = provider.transport

    def unreachable(url, body, headers):
        raise OSError("connection refused")

    provider.transport = unreachable
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paying"
    provider.transport = working
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paying"  # not yet due again
    billing.clock.advance(billing.service.settings.sandbox_resend_after)
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paid"
    assert len(payouts.started) == 1 and len(billing.events("billing.refund_paid")) == 1


# --- the decision limit -------------------------------------------------------------------------------
@pytest.mark.postgres
def test_a_claim_undecided_near_its_limit_is_escalated_once(billing):
    invoices = _paid_request(billing)
    claim = billing.claim_refund(invoices["service"]["id"], OWNER).json
    billing.clock.advance(12 * DAY - timedelta(seconds=1))
    billing.tick()
    assert billing.events("billing.refund_escalated") == []
    billing.clock.advance(timedelta(seconds=1))  # three days before the limit
    assert billing.tick() == 1
    billing.clock.advance(DAY)
    assert billing.tick() == 0
    [escalated] = billing.events("billing.refund_escalated")
    assert (escalated["refund_id"], escalated["decide_by"], escalated["amount_halalas"]) == (
        claim["id"],
        claim["decide_by"],
        90000,
    )
    assert billing.refunds("REQ-1", OWNER)["service"]["escalated_at"] is not None


# --- replicas on PostgreSQL ---------------------------------------------------------------------------
def test_two_replicas_evaluating_the_same_withdrawal_and_two_schedulers_pay_out_once(
    billing_at, make_postgres_database
):
    url = make_postgres_database()
    billing = billing_at(url, scheduler_batch=5)
    numbers = [f"REQ-{n:02d}" for n in range(12)]
    for number in numbers:
        _paid_request(billing, number, f"acct-{number}")
    pending = [f"REQ-P{n}" for n in range(6)]  # claims for a reviewer, to escalate
    for number in pending:
        invoices = _paid_request(billing, number, f"acct-{number}")
        assert billing.claim_refund(invoices["service"]["id"], f"acct-{number}").status_code == 201

    replica = make_runtime(url)
    second = BillingService(
        replica, billing.service.settings, billing.clock, billing.service.billing.provider.transport
    )
    payouts = Payouts(billing.service, second)
    consumers = [
        billing.consumer,
        Consumer("billing", replica.db, replica.inbox, handlers(second), url="amqp://unused", outbox=replica.outbox),
    ]

    def race(work):
        start, errors = threading.Barrier(len(work)), []

        def run(job):
            start.wait()
            try:
                job()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(job,)) for job in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []

    billing.clock.advance(5 * DAY)
    for number in numbers:
        same = Event(
            type="applications.application_withdrawn",
            producer="applications",
            data={
                "application_number": number,
                "account_id": f"acct-{number}",
                "previous_status": "under_review",
                "withdrawn_at": isoformat(billing.clock()),
            },
        )
        again = Event(type=same.type, producer="applications", data=same.data)  # announced twice
        race(
            [
                lambda c=consumers[0], e=same: c.handle(e),
                lambda c=consumers[1], e=same: c.handle(e),
                lambda c=consumers[1], e=again: c.handle(e),
            ]
        )
    approved = [r for r in billing.rows("refunds") if r.rule == "withdrawn_within_window"]
    assert sorted(r.application_number for r in approved) == numbers
    assert Counter(e["rule"] for e in billing.events("billing.refund_decided"))["withdrawn_within_window"] == 12

    billing.clock.advance(8 * DAY)  # 13 days after the claims: escalation is due
    schedulers = [Scheduler(billing.service), Scheduler(second)]
    race([scheduler.tick for scheduler in schedulers])
    race([scheduler.tick for scheduler in schedulers])
    assert sorted(payouts.started) == sorted(r.id for r in approved)
    paid = Counter(e["refund_id"] for e in billing.events("billing.refund_paid"))
    assert set(paid) == {r.id for r in approved} and set(paid.values()) == {1}
    escalated = Counter(e["refund_id"] for e in billing.events("billing.refund_escalated"))
    assert len(escalated) == len(pending) and set(escalated.values()) == {1}
    second.billing.db.dispose()


def test_a_refusal_by_the_rules_is_refined_when_the_request_is_decided(billing):
    """The applicant claims between review start and the decision reaching billing: refused
    `review_started`, then — once billing hears of the rejection — `request_decided`, same refund."""
    invoices = _paid_request(billing)
    billing.review_started("REQ-1", OWNER)
    first = billing.claim_refund(invoices["service"]["id"], OWNER).json
    assert (first["status"], first["rule"]) == ("rejected", "review_started")
    billing.reject("REQ-1", OWNER)
    again = billing.claim_refund(invoices["service"]["id"], OWNER)
    assert (
        again.status_code,
        again.json["id"],
        again.json["status"],
        again.json["rule"],
        again.json["amount_halalas"],
    ) == (200, first["id"], "rejected", "request_decided", 0)
    assert len(billing.events("billing.refund_decided")) == 1  # not a new decision: not announced again


def test_a_reviewer_s_rejection_is_never_rewritten_by_the_rules(billing):
    invoices = _paid_request(billing)
    claim = billing.claim_refund(invoices["service"]["id"], OWNER).json
    billing.decide_refund(claim["id"], decision="reject", reason="withdraw first")
    billing.reject("REQ-1", OWNER)
    refund = billing.refunds("REQ-1", OWNER)["service"]
    assert (refund["rule"], refund["reason"]) == ("reviewer_decision", "withdraw first")
