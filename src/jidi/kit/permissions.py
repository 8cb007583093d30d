"""Device permissions as purpose-bound grants (promises area 11: JD-6.6*, JD-6.4.1, CN-8.3.1, ZK-1.2*; JD-1.1.2(4)).

A feature that asks the browser for a device permission declares it (`Feature(permissions=(Permission(...),))`):
the kind, why, and the page that asks. The set jidi may ask for is exactly the declared set (JD-6.6a):
tests/test_permissions.py scans the shipped JavaScript and fails when a feature's page uses a permission API its
feature does not declare. The settings page (/settings/permissions) lists the declared permissions with their
purpose and state, and lets a customer turn each off in jidi.

How a page asks (JD-6.6b, ZK-1.2a): the assist buttons are hidden until the page's script shows them (the page
works without JavaScript, everything can be typed); a click first explains why, and only "Continue" calls the
browser's API, so the browser's prompt never comes before the user starts the feature. Refusing (in the
explanation, in the browser's prompt, or by turning it off in jidi) disables that one button and nothing else.
"""
from __future__ import annotations

import dataclasses
import enum
import re

from jidi.i18n import N_


class Kind(enum.StrEnum):
    GEOLOCATION = "geolocation"
    CONTACTS = "contacts"
    CAMERA = "camera"
    MICROPHONE = "microphone"
    NOTIFICATIONS = "notifications"


LABELS = {
    Kind.GEOLOCATION: N_("Location"),
    Kind.CONTACTS: N_("Contacts"),
    Kind.CAMERA: N_("Camera and photos"),
    Kind.MICROPHONE: N_("Microphone"),
    Kind.NOTIFICATIONS: N_("Notifications"),
}

# The browser APIs by which a page asks for each kind: what the scan looks for in shipped JavaScript.
APIS: dict[Kind, re.Pattern[str]] = {
    Kind.GEOLOCATION: re.compile(r"navigator\s*\.\s*geolocation"),
    Kind.CONTACTS: re.compile(r"contacts\s*\.\s*select\s*\("),
    Kind.CAMERA: re.compile(r"getUserMedia\s*\(\s*\{[^}]*video|getUserMedia\s*\(\s*[{(]?\s*\{?\s*video"),
    Kind.MICROPHONE: re.compile(r"SpeechRecognition|getUserMedia\s*\(\s*\{[^}]*audio"),
    Kind.NOTIFICATIONS: re.compile(r"Notification\s*\.\s*requestPermission"),
}


@dataclasses.dataclass(frozen=True)
class Permission:
    kind: Kind
    purpose: str  # an English message id (N_): why, shown before asking and on the settings page
    page: str  # the page (path) where the feature that needs it starts
    feature: str = ""  # which feature of the page (an English message id), e.g. "Fill the address from my location"


def used_in(script: str) -> set[Kind]:
    """The permission kinds a piece of JavaScript asks the browser for."""
    return {kind for kind, api in APIS.items() if api.search(script)}
