"""An invitation's link token: made from the row and its number of sends under the secret
key, as account links are (fair/accounts/tokens.py). The row keeps only its SHA-256; the
mail job makes the link again from the row, and each new send makes the older link void."""

from __future__ import annotations

from fair.accounts.tokens import token_of
from fair.invitations.models import FairInvitation

PURPOSE = "fair-invitation"
PATH = "/invitations/"


def link_token(invitation: FairInvitation, secret: str) -> str:
    return token_of(f"{invitation.id}.{invitation.sends}", PURPOSE, secret)
