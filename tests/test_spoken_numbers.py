import pytest

from skill.spoken_numbers import parse_pin, parse_quantity


@pytest.mark.parametrize("spoken,pin", [
    ("1234", "1234"), ("1 2 3 4", "1234"), ("one two three four", "1234"),
    ("twelve thirty four", "1234"), ("one two thirty four", "1234"),
    ("oh four oh nine", "0409"), ("forty three twenty one", "4321"),
    ("nineteen ninety nine", "1999"), ("twenty twenty", "2020"), ("Twelve-Thirty-Four", "1234"),
])
def test_pins_as_spoken(spoken, pin):
    assert parse_pin(spoken) == pin


@pytest.mark.parametrize("spoken", ["123", "12345", "one two three", "banana", "", None,
                                    "twelve thirty four five", "one two three four please"])
def test_not_a_pin(spoken):
    assert parse_pin(spoken) is None


@pytest.mark.parametrize("spoken,quantity", [
    ("2", 2), ("two", 2), ("a couple of", 2), ("a", 1), ("twenty three", 23),
    ("a dozen", 12), ("three hundred", 300),
])
def test_quantities(spoken, quantity):
    assert parse_quantity(spoken) == quantity


@pytest.mark.parametrize("spoken", ["?", "", "lots", None])
def test_not_a_quantity(spoken):
    assert parse_quantity(spoken) is None
