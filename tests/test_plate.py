"""Plate geometry on hand-made cases (axes and formulas from HARDWARE_FACTS.md)."""

import numpy as np
import pytest

from pfsense.clinical import foot
from pfsense.clinical.techniques import ZONE_CODES, Zone
from pfsense.dsp import plate
from pfsense.errors import ConfigError
from pfsense.sensors.layout import make_layout, parse_plate_mm

W, L = 300.0, 400.0


@pytest.mark.parametrize(
    ("corners", "expected"),
    [
        ((25, 25, 25, 25), (100, 0.0, 0.0)),  # centred
        ((0, 50, 0, 50), (100, 150.0, 0.0)),  # all on the right edge
        ((50, 50, 0, 0), (100, 0.0, 200.0)),  # all at the toes' edge
        ((10, 20, 30, 40), (100, 30.0, -80.0)),
    ],
)
def test_centre_of_pressure_of_literal_corner_forces(corners, expected):
    force_n, x_mm, y_mm = plate.centre_of_pressure_mm(np.array([corners], float), W, L)
    assert (force_n[0], x_mm[0], y_mm[0]) == pytest.approx(expected)


def test_no_position_below_the_contact_threshold():
    force_n, x_mm, y_mm = plate.centre_of_pressure_mm(np.array([[1.0, 1.0, 1.0, 1.0]]), W, L)
    assert force_n[0] == 4.0
    assert np.isnan(x_mm[0])
    assert np.isnan(y_mm[0])


def test_corner_forces_put_the_centre_of_pressure_back_where_the_load_is():
    rng = np.random.default_rng(0)
    force_n = rng.uniform(10, 300, 500)
    x_mm, y_mm = rng.uniform(-140, 140, 500), rng.uniform(-190, 190, 500)
    corners = plate.corner_forces_n(force_n, x_mm, y_mm, W, L)
    total, x_back, y_back = plate.centre_of_pressure_mm(corners, W, L)
    np.testing.assert_allclose(total, force_n)
    np.testing.assert_allclose(x_back, x_mm)
    np.testing.assert_allclose(y_back, y_mm)


def test_a_load_at_the_centre_splits_evenly():
    corners = plate.corner_forces_n(np.array([100.0]), np.array([0.0]), np.array([0.0]), W, L)
    np.testing.assert_allclose(corners, [[25.0, 25.0, 25.0, 25.0]])


def test_sole_mapping_runs_against_the_ball_and_zones_split_the_foot():
    # The ball at the plate centre is under mid-sole; rolling it towards the toes (+y) moves the
    # contact point towards the heel by as much.
    assert foot.sole_mm_from_plate_y(np.array([0.0, 50.0]), 260.0).tolist() == [130.0, 80.0]
    codes = foot.zone_codes_for_sole_mm(
        np.array([0.0, 77.0, 79.0, 155.0, 157.0, 260.0, 261.0, np.nan]), 260.0
    )
    heel, arch, fore = ZONE_CODES[Zone.HEEL], ZONE_CODES[Zone.ARCH], ZONE_CODES[Zone.FOREFOOT]
    assert codes.tolist() == [heel, heel, arch, arch, fore, fore, 0, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("300", "is out of range|WIDTHxLENGTH|needs width"),
        ("axb", "not WIDTHxLENGTH"),
        ("5x400", "width 5 mm is out of range"),
    ],
)
def test_bad_plate_sizes_are_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_plate_mm(text)


def test_layouts():
    assert make_layout("single").channels == ("cell",)
    layout = make_layout("plate4", (250, 350))
    assert layout.channels == ("fl", "fr", "rl", "rr")
    assert layout.plate_width_mm == 250
    with pytest.raises(ConfigError, match="expected 'single' or 'plate4'"):
        make_layout("plate3")
