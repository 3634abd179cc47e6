"""A customer's state, and the one rule that follows from it: nothing new is recorded
about an anonymised person.

Every module that writes about a person checks it here, below the customers module, so
that the objections, the suppression list and the customers module can each import it.
"""

from lautex_registry.platform.errors import Refused, t

# A customer's state; "erased" is not one: an erased customer's row is gone.
ACTIVE = "active"
RESTRICTED = "restricted"
WITH_HOLDS = "anonymised-with-holds"  # anonymised, but a hold keeps some vouchers' data
ANONYMISED = "anonymised"
STATES = (ACTIVE, RESTRICTED, WITH_HOLDS, ANONYMISED)
ANONYMISED_STATES = (WITH_HOLDS, ANONYMISED)


def refuse_if_anonymised(customer_id: int, state: str) -> None:
    """One rule for every write about a person (README "Erasure, anonymisation"): an
    anonymised customer is a statistical unit, not a person the register can identify,
    so nothing new is recorded about them (an erased objector's objections live on as
    suppression HMACs, GDPR Art. 21(3))."""
    if state in ANONYMISED_STATES:
        raise Refused(
            t(
                "customer {customer_id} is anonymised: nothing new can be recorded "
                "about the person",
                customer_id=customer_id,
            )
        )
