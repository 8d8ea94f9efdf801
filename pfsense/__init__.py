"""pfsense: live feedback on plantar-fascia self-massage from HX711 load cells.

pfsense gives feedback on technique (pressure, rhythm, coverage). It does not diagnose or treat.
"""

__version__ = "0.1.0"
