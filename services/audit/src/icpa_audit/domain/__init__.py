"""Pure audit domain: archiving a finished execution, and loading, verifying and rendering a
claim's decision trail. Ports in, models out; no AWS, no clock, no environment."""

from icpa_audit.domain.timeline import render_timeline, trail_to_json
from icpa_audit.domain.trail import Trail, load_trail
from icpa_audit.domain.verification import BrokenLink, TrailVerification, verify_trail

__all__ = [
    "BrokenLink",
    "Trail",
    "TrailVerification",
    "load_trail",
    "render_timeline",
    "trail_to_json",
    "verify_trail",
]
