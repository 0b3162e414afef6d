"""What an API token needs is declared once per endpoint (``fair.api.Endpoint``): every write
names its scope or takes no token, the account's own keys take none, and the OpenAPI
document says so for each operation."""

from __future__ import annotations

from fair.api import SAFE_METHODS, Scope
from kakehashi.features import FEATURES
from kakehashi.openapi import document

ENDPOINTS = [endpoint for feature in FEATURES for endpoint in feature.api]
# The account's own keys: a leaked token must not take the account over.
ACCOUNT_KEYS = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/verify"),
    ("POST", "/api/auth/verify/resend"),
    ("POST", "/api/auth/password-reset"),
    ("POST", "/api/auth/password-reset/confirm"),
    ("POST", "/api/auth/password"),
    ("GET", "/api/auth/sessions"),
    ("DELETE", "/api/auth/sessions/{id}"),
    ("POST", "/api/auth/sessions/revoke-others"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/{id}"),
    ("PATCH", "/api/me"),
    ("POST", "/api/me/email"),
    ("POST", "/api/me/email/confirm"),
    ("POST", "/api/me/export"),
    ("DELETE", "/api/me"),
    # Who is in one's company: a leaked token must not let anyone in.
    ("POST", "/api/companies/{id}/invitations"),
    ("DELETE", "/api/companies/{id}/members/{user_id}"),
    ("POST", "/api/invitations/{token}/accept"),
}
# An organizer's webhook endpoints: where events go and the secret that signs them.
WEBHOOK_KEYS = {
    ("POST", "/api/webhooks"),
    ("DELETE", "/api/webhooks/{id}"),
    ("POST", "/api/webhooks/{id}/deliveries/{delivery_id}/replay"),
}

# Accepting an invitation may make an account and sign it in: a browser's, like registering.
INVITATION_KEYS = {("POST", "/api/invitations/{token}/accept")}


def test_every_write_declares_what_a_token_needs():
    """A write that names no scope is closed to tokens by default; it must say so."""
    undeclared = [
        f"{e.method} {e.path}"
        for e in ENDPOINTS
        if e.method not in SAFE_METHODS and e.scope is None and not e.cookie_only
    ]
    assert undeclared == []


def test_the_accounts_own_keys_take_no_token():
    refused = {(e.method, e.path) for e in ENDPOINTS if e.token_scope is None}
    assert refused == ACCOUNT_KEYS | WEBHOOK_KEYS | INVITATION_KEYS


def test_scopes_follow_what_a_route_is_about():
    needed = {(e.method, e.path): e.token_scope for e in ENDPOINTS}
    assert needed[("GET", "/api/booths/{booth_id}")] == Scope.READ
    assert needed[("GET", "/api/reports/conversion")] == Scope.REPORTS
    assert needed[("PATCH", "/api/booths/{booth_id}")] == Scope.BOOTHS
    assert needed[("POST", "/api/booths/{booth_id}/media")] == Scope.BOOTHS
    assert needed[("DELETE", "/api/media/{media_id}")] == Scope.BOOTHS
    assert needed[("POST", "/api/meetings")] == Scope.MEETINGS
    assert needed[("POST", "/api/meetings/{meeting_id}/outcome")] == Scope.MEETINGS
    assert needed[("PUT", "/api/exchange-rates")] == Scope.REPORTS
    # Conversations go with meetings: talking before and after one.
    assert needed[("GET", "/api/conversations")] == Scope.READ
    assert needed[("POST", "/api/conversations")] == Scope.MEETINGS
    assert needed[("POST", "/api/conversations/{conversation_id}/messages")] == Scope.MEETINGS
    assert needed[("POST", "/api/conversations/{conversation_id}/block")] == Scope.MEETINGS
    assert needed[("POST", "/api/conversation-reports/{report_id}/resolve")] == Scope.MEETINGS
    assert needed[("GET", "/api/matchmaking/weights")] == Scope.READ


def test_the_document_names_the_scope_of_every_operation():
    doc = document()
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    for endpoint in ENDPOINTS:
        operation = doc["paths"][endpoint.path][endpoint.method.lower()]
        expected = [{"session": []}]
        if endpoint.token_scope is not None:
            expected.append({"token": [endpoint.token_scope.value]})
        expected.append({})  # the service layer decides who may call without either
        assert operation["security"] == expected, endpoint.path
        assert {"401", "403"} <= set(operation["responses"]), endpoint.path
