"""Root causes: what actually failed, as the centre found it, so failure analysis counts causes and not only the
symptoms customers report. Every diagnosis names one code, `<FAULT_CATEGORY>/<CAUSE>` from the lists below (the
fault categories of contracts/claims.py), or NO_FAULT_FOUND. The centre may find the cause in another category
than the customer's symptom (a display that stays dark because the battery failed): any listed code is valid on
any claim. Pure."""

from __future__ import annotations

NO_FAULT_FOUND = "NO_FAULT_FOUND"

CAUSES: dict[str, tuple[str, ...]] = {
    "ELECTRICAL": ("POWER_SUPPLY", "HEATING_ELEMENT", "WIRING", "SWITCH", "CONTROL_BOARD", "SENSOR", "FUSE"),
    "MECHANICAL": ("MOTOR", "GEARBOX", "BEARING", "HINGE", "SEAL", "PUMP", "FAN"),
    "DISPLAY": ("PANEL", "BACKLIGHT", "TOUCH_LAYER", "CONNECTOR"),
    "BATTERY": ("CELL_DEGRADED", "CELL_SWOLLEN", "CHARGING_CIRCUIT", "CHARGER"),
    "SOFTWARE": ("FIRMWARE", "CONFIGURATION", "CALIBRATION"),
    "COSMETIC": ("SURFACE", "FINISH", "TRIM"),
    "ACCIDENTAL_DAMAGE": ("DROP", "LIQUID", "IMPACT", "OVERVOLTAGE"),
}
CODES: tuple[str, ...] = (
    *(f"{category}/{cause}" for category, causes in CAUSES.items() for cause in causes),
    NO_FAULT_FOUND,
)
_KNOWN = frozenset(CODES)
HOW = f"<FAULT_CATEGORY>/<CAUSE> from the list (docs/repairs.md), e.g. ELECTRICAL/HEATING_ELEMENT, or {NO_FAULT_FOUND}"


def canonical(code: str) -> str:
    """The code as stored (upper case, no spaces around), or ValueError naming how codes look."""
    cleaned = code.strip().upper()
    if cleaned not in _KNOWN:
        raise ValueError(f"{code!r} is not a root cause: {HOW}")
    return cleaned


def category(code: str) -> str:
    """The fault category a root cause lies in ("" for NO_FAULT_FOUND): what failure reports group by first."""
    return code.partition("/")[0] if "/" in code else ""
