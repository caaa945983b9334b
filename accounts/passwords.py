"""Password strength, as Coder judges it: enough entropy, and not too long.

Coder accepts a password when its entropy reaches 52 bits and it has at most 64
characters. Entropy is `length × log2(alphabet)`: the alphabet is the sum of the
character classes the password uses (lowercase, uppercase, digits, three groups of
symbols, plus one per other character), and the length counts each distinct character at
most twice, so `aaaaaaaaaaaa` is as weak as `aa`. The message tells the user what to add.
These are Django password validators (AUTH_PASSWORD_VALIDATORS), so the API, the admin
forms and `create_first_user` all apply them.
"""
from __future__ import annotations

import math
import string
from collections import Counter

from django.core.exceptions import ValidationError

MIN_ENTROPY_BITS = 52
MAX_LENGTH = 64
_CLASSES = (
    "!@$&*",  # symbols commonly swapped in for letters
    "_-., ",  # separators
    "\"#%'()+/:;<=>?[\\]^{|}~",  # other symbols
    string.ascii_lowercase,
    string.ascii_uppercase,
    string.digits,
)


def entropy_bits(password: str) -> float:
    alphabet = 0
    for char in set(password):
        if not any(char in group for group in _CLASSES):
            alphabet += 1  # each character outside the classes widens the alphabet by one
    alphabet += sum(len(group) for group in _CLASSES if any(char in group for char in password))
    length = sum(min(count, 2) for count in Counter(password).values())
    return length * math.log2(alphabet) if alphabet > 1 else 0.0


def _advice(password: str) -> str:
    missing = []
    if not any(char in group for group in _CLASSES[:3] for char in password):
        missing.append("including special characters")
    if not any(char in string.ascii_lowercase for char in password):
        missing.append("using lowercase letters")
    if not any(char in string.ascii_uppercase for char in password):
        missing.append("using uppercase letters")
    if not any(char in string.digits for char in password):
        missing.append("using numbers")
    if missing:
        return f"insecure password. Try {', '.join(missing)} or using a longer password"
    return "insecure password. Try using a longer password"


class EntropyValidator:
    def __init__(self, min_entropy_bits: int = MIN_ENTROPY_BITS):
        self.min_entropy_bits = min_entropy_bits

    def validate(self, password: str, user=None) -> None:
        if entropy_bits(password) < self.min_entropy_bits:
            raise ValidationError(_advice(password), code="password_insecure")

    def get_help_text(self) -> str:
        return "Your password must be hard to guess: mix letters, numbers and symbols, or make it longer."


class MaximumLengthValidator:
    def __init__(self, max_length: int = MAX_LENGTH):
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(f"password must be no more than {self.max_length} characters",
                                  code="password_too_long")

    def get_help_text(self) -> str:
        return f"Your password can't be longer than {self.max_length} characters."
