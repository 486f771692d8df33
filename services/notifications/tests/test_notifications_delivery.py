"""From the bus to the inbox, against a real RabbitMQ, a real SMTP server, SQLite (and PostgreSQL):
each e-mail arrives once, in the recipient's language (for events about a request, the language and
address the accounts events gave), waits out an SMTP outage, and a broken event is parked without
holding up the ones behind it."""

import pytest

from mumaris_shared import parking
from mumaris_shared.broker_access import service_url
from mumaris_shared.events import Event
from mumaris_testing import wait_until

pytestmark = pytest.mark.integration


def _to(address):
    return lambda message: address in message["to"]


@pytest.mark.postgres
def test_the_verification_code_reaches_the_applicant_in_arabic(running, events, deliveries):
    running.mail.start()
    running.publish(events.registered("sara@example.com", "ar"))
    code = events.code_issued("sara@example.com", "ar", code="730154")
    running.publish(code)

    mail = running.mail.wait_for(_to("sara@example.com"), timeout=30)
    assert mail["subject"] == "رمز التحقق الخاص بك في ممارس"
    assert "730154" in mail["text"] and "730154" in mail["html"]
    assert '<html dir="rtl" lang="ar">' in mail["html"] and "10 دقائق" in mail["text"]
    [delivery] = deliveries(running.runtime, event_id=code.id)
    assert mail["message_id"] == f"<{delivery.id}@mumaris.local>"
    wait_until(lambda: deliveries(running.runtime, event_id=code.id)[0].status == "sent")


def test_a_welcome_reaches_an_english_speaker_in_english(running, events):
    running.mail.start()
    running.publish(events.activated("john@example.com", "en"))

    mail = running.mail.wait_for(_to("john@example.com"), timeout=30)
    assert mail["subject"] == "Welcome to Mumaris: your account is active"
    assert '<html dir="ltr" lang="en">' in mail["html"] and "Hello Sara Alqahtani" in mail["text"]


def test_the_fees_of_a_sent_request_reach_the_applicant_with_both_amounts_and_sadad_numbers(
    running, events, deliveries
):
    running.mail.start()
    running.publish(events.registered("payer@example.com", "ar"))
    fees = events.fees_assessed("payer@example.com")
    running.publish(fees)

    mail = running.mail.wait_for(_to("payer@example.com"), timeout=30)
    assert mail["subject"] == f"تم إرسال طلبك رقم {events.APPLICATION}: الرسوم المستحقة ومهلة السداد"
    assert '<html dir="rtl" lang="ar">' in mail["html"]
    for body in (mail["text"], mail["html"]):
        assert "200.00 ر.س" in body and "1,250.50 ر.س" in body
        assert "100200300401" in body and "100200300402" in body
        assert "الخميس 24 ديسمبر 2026، الساعة 11:59 مساءً بتوقيت الرياض" in body
    wait_until(lambda: [d.status for d in deliveries(running.runtime, event_id=fees.id)] == ["sent"])
    assert len([m for m in running.mail.messages() if _to("payer@example.com")(m)]) == 1


def test_an_event_about_a_request_that_overtakes_the_account_waits_for_it(running, events, deliveries):
    running.mail.start()
    approved = events.approved("early@example.com")
    running.publish(approved)  # handled first: nobody to write to yet, so it fails and is retried
    running.publish(events.registered("early@example.com", "en"))

    mail = running.mail.wait_for(_to("early@example.com"), timeout=30)
    assert mail["subject"] == f"Congratulations: request {events.APPLICATION} is approved"
    assert "MEM-2026-004217" in mail["text"]
    assert len(deliveries(running.runtime, event_id=approved.id)) == 1


@pytest.mark.postgres
def test_the_same_event_published_twice_sends_one_email(running, events, deliveries):
    running.mail.start()
    twice = events.code_issued("twice@example.com")
    marker = events.code_issued("marker@example.com")
    for event in (twice, twice, marker):
        running.publish(event)

    # The events are handled in order, but the mailer sends a batch over several connections at
    # once: wait for both e-mails, then for every delivery the three events made to be sent.
    running.mail.wait_for(_to("marker@example.com"), timeout=30)
    running.mail.wait_for(_to("twice@example.com"), timeout=30)
    wait_until(lambda: [d.status for d in deliveries(running.runtime)] == ["sent", "sent"])
    assert len(deliveries(running.runtime, event_id=twice.id)) == 1
    assert len([m for m in running.mail.messages() if _to("twice@example.com")(m)]) == 1


@pytest.mark.postgres
def test_while_smtp_is_down_the_email_waits_and_goes_out_once_it_is_back(running, events, deliveries):
    code = events.code_issued("patient@example.com")
    running.publish(code)

    wait_until(
        lambda: (
            [(d.status, d.attempts > 0) for d in deliveries(running.runtime, event_id=code.id)] == [("pending", True)]
        )
    )
    assert running.mail.messages() == []
    running.mail.start()

    mail = running.mail.wait_for(_to("patient@example.com"), timeout=30)
    assert "482913" in mail["text"]
    wait_until(lambda: deliveries(running.runtime, event_id=code.id)[0].status == "sent")
    [delivery] = deliveries(running.runtime, event_id=code.id)
    assert delivery.attempts >= 2 and delivery.last_error is None
    assert len(running.mail.messages()) == 1


def test_a_broken_event_is_retried_then_parked_while_the_next_is_delivered(running, events, deliveries, rabbitmq_url):
    running.mail.start()
    good = events.code_issued("after@example.com")
    broken = Event(type=good.type, producer="accounts", data=events.data("broken@example.com"))  # no code, no validity
    running.publish(broken)
    running.publish(good)

    running.mail.wait_for(_to("after@example.com"), timeout=30)
    wait_until(lambda: len(parking.list_parked(service_url("notifications", rabbitmq_url), "notifications")) == 1)
    [parked] = parking.list_parked(service_url("notifications", rabbitmq_url), "notifications")
    assert parked["message_id"] == broken.id and parked["attempts"] == 1 + len(running.consumer.retry_queues)
    assert "ValidationError" in parked["error"] and "code" in parked["error"]
    assert deliveries(running.runtime, event_id=broken.id) == []
    assert not any(_to("broken@example.com")(m) for m in running.mail.messages())


def test_a_refund_decision_reaches_the_applicant_with_the_amount_and_what_the_rule_means(running, events, deliveries):
    running.mail.start()
    running.publish(events.registered("withdrawn@example.com", "ar"))
    decided = events.refund_decided("withdrawn@example.com", rule="withdrawn_within_window")
    running.publish(decided)

    mail = running.mail.wait_for(_to("withdrawn@example.com"), timeout=30)
    assert mail["subject"] == f"تمت الموافقة على استرداد 625.25 ر.س من رسوم طلبك رقم {events.APPLICATION}"
    assert '<html dir="rtl" lang="ar">' in mail["html"]
    for body in (mail["text"], mail["html"]):
        assert "625.25 ر.س" in body
        assert "سحبت طلبك خلال 30 يومًا من سداد رسومه وقبل بدء مراجعته، فيُرد إليك 50% من رسوم الخدمة." in body
    wait_until(lambda: [d.status for d in deliveries(running.runtime, event_id=decided.id)] == ["sent"])


def test_an_escalated_refund_claim_reaches_the_reviewers_mailbox(running, events, deliveries, monkeypatch):
    monkeypatch.delenv("NOTIFICATIONS_REVIEWERS_ADDRESS", raising=False)
    running.mail.start()
    escalated = events.refund_escalated("claimant@example.com")  # no accounts event: the reviewers need none
    running.publish(escalated)

    mail = running.mail.wait_for(_to("reviewers@mumaris.local"), timeout=30)
    assert mail["subject"].startswith(f"تصعيد: مطالبة استرداد للطلب رقم {events.APPLICATION}")
    assert '<html dir="rtl" lang="ar">' in mail["html"]
    for body in (mail["text"], mail["html"]):
        assert "rf-51d0" in body and "625.25 ر.س" in body
        assert "الأربعاء 16 ديسمبر 2026، الساعة 11:00 صباحًا بتوقيت الرياض" in body
    wait_until(lambda: [d.status for d in deliveries(running.runtime, event_id=escalated.id)] == ["sent"])
    assert not any(_to("claimant@example.com")(m) for m in running.mail.messages())
