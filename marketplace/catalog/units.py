"""Units of measure: UN/ECE Recommendation 20 codes (their names, translated where shown, are in labels)."""

from __future__ import annotations

from marketplace.labels import UNIT

UNITS = UNIT
"""The codes accepted for a listing's unit; a quantity is a whole number of them."""

LEGACY = {"pc": "PCE", "pcs": "PCE", "piece": "PCE", "kg": "KGM", "m": "MTR", "set": "SET", "t": "TNE", "l": "LTR"}
"""Free-text units written before codes were required, and the code each became."""
