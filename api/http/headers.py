"""The security headers sent with every answer: a Content-Security-Policy that allows no inline script."""

from __future__ import annotations

# The page, the SPARQL form and the API docs load scripts and styles only from this service; the
# data: images are the docs' icons and the page's empty favicon; blob: is the page's CSV download,
# which it makes from an answer it already holds.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
