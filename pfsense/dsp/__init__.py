"""Signal processing: plain numpy functions and small stateful stages, array in and array out.

clean (reject glitches) -> calibrate (counts to newtons, re-zero) -> plate (centre of pressure)
-> features (force, rhythm, holds, coverage) -> classify and score.
"""
