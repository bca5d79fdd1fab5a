"""SQS receipt handles drawn in one call.

Every received message gets a new receipt handle of 185 lowercase letters, drawn by 185 `random.choice`
calls (~140 us).

Patched: one `random.choices(letters, k=185)` call (~25 us) on the same generator (moto's seedable
mock_random). Same length, alphabet and uniform distribution; a seeded moto still gives reproducible handles
(other ones than before for the same seed).

Written for moto 5.2.1.
"""

import string

WRITTEN_FOR = "moto 5.2.1"
REQUIRES = (
    "moto.sqs.utils.generate_receipt_handle",
    "moto.sqs.utils.random.choices",
    "moto.sqs.models.generate_receipt_handle",
)

_LENGTH = 185


def apply():
    import moto.sqs.models as sqs_models
    import moto.sqs.utils as sqs_utils

    original = sqs_utils.generate_receipt_handle
    if sqs_models.generate_receipt_handle is not original:
        return "moto.sqs.models.generate_receipt_handle is not moto.sqs.utils.generate_receipt_handle"
    sample = original()
    if len(sample) != _LENGTH or not set(sample) <= set(string.ascii_lowercase):
        return f"moto's receipt handles are not {_LENGTH} lowercase letters: {sample!r}"
    rng = sqs_utils.random  # moto's (seedable) random generator
    letters = string.ascii_lowercase

    def generate_receipt_handle():
        return "".join(rng.choices(letters, k=_LENGTH))

    sqs_utils.generate_receipt_handle = generate_receipt_handle
    sqs_models.generate_receipt_handle = generate_receipt_handle
    return None
