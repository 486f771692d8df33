"""Request and membership numbers (domain/numbers.py)."""

import re

import pytest

from applications.domain.numbers import (
    CROCKFORD,
    is_membership_number,
    luhn_check_digit,
    new_application_number,
    new_membership_number,
    normalise_application_number,
)

pytestmark = pytest.mark.unit


def test_a_request_number_is_mr_and_twelve_crockford_base32_characters_in_groups_of_four():
    number = new_application_number()
    assert re.fullmatch(r"MR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", number)
    assert set(number[3:].replace("-", "")) <= set(CROCKFORD)
    assert not set("ILOU") & set(number[3:])


def test_request_numbers_cannot_be_enumerated():
    numbers = [new_application_number() for _ in range(2000)]
    assert len(set(numbers)) == len(numbers)
    # Every position varies over the whole alphabet: nothing sequential, no fixed part beyond "MR-".
    for position in (3, 4, 5, 6, 8, 13, 16):
        assert len({number[position] for number in numbers}) == len(CROCKFORD)


@pytest.mark.parametrize(
    "typed, issued",
    [
        ("MR-7K3Q-9ZXA-0B1C", "MR-7K3Q-9ZXA-0B1C"),
        ("  mr-7k3q-9zxa-0b1c ", "MR-7K3Q-9ZXA-0B1C"),
        ("MR-7K3Q-9ZXA-OBIC", "MR-7K3Q-9ZXA-0B1C"),  # O for 0, I for 1, as people copy them
        ("MR-7K3Q-9ZXA-0BLC", "MR-7K3Q-9ZXA-0B1C"),
    ],
)
def test_a_request_number_is_read_as_issued_whatever_its_case_and_look_alike_letters(typed, issued):
    assert normalise_application_number(typed) == issued


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "MR-",
        "MR-7K3Q-9ZXA-0B1",
        "MR-7K3Q-9ZXA-0B1CD",
        "XX-7K3Q-9ZXA-0B1C",
        "MR-7K3Q-9ZXA-0B1U",
        "MR-7K3Q9ZXA0B1C",
        "../etc/passwd",
    ],
)
def test_a_text_that_cannot_be_a_request_number_is_refused(typed):
    assert normalise_application_number(typed) is None


def test_the_luhn_check_digit_is_the_standard_one():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example: 79927398713
    assert is_membership_number("1234567897")


def test_a_membership_number_is_ten_digits_with_a_luhn_check_digit_and_no_leading_zero():
    for _ in range(500):
        number = new_membership_number()
        assert len(number) == 10 and number.isdigit() and number[0] != "0"
        assert is_membership_number(number)


@pytest.mark.parametrize("number", ["1234567890", "123456789", "12345678970", "12345678a7", "١٢٣٤٥٦٧٨٩٧"])
def test_a_mistyped_membership_number_fails_its_check(number):
    assert not is_membership_number(number)
