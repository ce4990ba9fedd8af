"""Write the ErrorValue members of pycti/errors.py from ECMA-285 error-definition.asn1.

Run from the repository root: ``python tools/gen_error_values.py`` prints the enum body; the
test tests/test_error_values.py checks that pycti.errors still matches the ASN.1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ASN1 = Path(__file__).resolve().parents[1] / "csta" / "ecma-285" / "asn1-source" / "error-definition.asn1"

#: ASN.1 type -> (UniversalFailure alternative, short prefix for names that repeat)
CATEGORIES = {
    "OperationErrors": ("operation", "OPERATION"),
    "SecurityErrors": ("security", "SECURITY"),
    "StateIncompatibilityErrors": ("stateIncompatibility", "STATE"),
    "SystemResourceAvailabilityErrors": ("systemResourceAvailability", "SYSTEM"),
    "SubscribedResourceAvailabilityErrors": ("subscribedResourceAvailability", "SUBSCRIBED"),
    "PerformanceManagementErrors": ("performanceManagement", "PERFORMANCE"),
    "PrivateDataInfoErrors": ("privateData", "PRIVATE"),
}


def parse(text: str) -> list[tuple[str, str, int]]:
    """(category, name, code) for every enumerated error value, in the file's order."""
    text = re.sub(r"--[^\n]*", "", text)
    out = []
    for typ, body in re.findall(r"(\w+Errors)\s*::=\s*ENUMERATED\s*\{(.*?)\}", text, re.S):
        cat = CATEGORIES[typ][0]
        for name, code in re.findall(r"(\w+)\s*\(\s*(\d+)\s*\)", body):
            out.append((cat, name, int(code)))
    return out


def member_name(category: str, name: str, repeated: set[str]) -> str:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).upper()
    if name in repeated:
        prefix = next(p for c, p in CATEGORIES.values() if c == category)
        return f"{prefix}_{snake}"
    return snake


def main() -> None:
    values = parse(ASN1.read_text(encoding="utf-8", errors="replace"))
    names = [n for _, n, _ in values]
    repeated = {n for n in names if names.count(n) > 1}
    for cat, name, code in values:
        sys.stdout.write(f'    {member_name(cat, name, repeated)} = ("{cat}", "{name}", {code})\n')


if __name__ == "__main__":
    main()
