// pfsense load-cell mounts, parametric (OpenSCAD). Units: millimetres.
//   part = "cradle": a ball cradle on one bar load cell (layout single)
//   part = "plate_spacers": the spacers that hold four bar cells between two plates (plate4)
//   part = "plate_drilling": a 2D drilling template for the plates (export as SVG or DXF)
// Plate axes as in pfsense: x across the foot (+ right), y along it (+ toes), origin at the
// centre; cells at the corners, named fl, fr, rl, rr.

part = "cradle";

// The bar cell (TAL220B class, 50 kg): 80 x 12.7 x 12.7, two M5 holes at each end, 15 mm apart.
cell_length = 80;
cell_width = 12.7;
cell_height = 12.7;
cell_hole_d = 5.3;
cell_hole_pitch = 15;
cell_hole_inset = 5;

// single: the ball and its cradle
ball_d = 70;            // lacrosse ball 63-65 mm, spiky balls up to 80: leave room
cradle_wall = 4;
cradle_depth = 0.3;     // fraction of the ball held by the cup

// plate4
plate_width = 300;      // across the foot (x); pfsense --plate-mm WIDTH LENGTH
plate_length = 400;     // along the foot (y)
plate_thickness = 10;
cell_inset = 20;        // from the plate's edges to the cell's fixed end
spacer_height = 6;      // the gap that lets the cell bend

$fn = 96;

module cell_holes(h) {
    for (dx = [cell_hole_inset, cell_hole_inset + cell_hole_pitch])
        translate([dx, cell_width / 2, -1]) cylinder(d = cell_hole_d, h = h + 2);
}

// A cup for the ball on a block bolted to the cell's free end.
module cradle() {
    cup_h = ball_d * cradle_depth;
    difference() {
        union() {
            cylinder(d = ball_d + 2 * cradle_wall, h = cup_h + cradle_wall);
            translate([-cell_length / 4, -cell_width / 2, 0]) cube([cell_length / 2, cell_width, cradle_wall]);
        }
        translate([0, 0, cradle_wall + ball_d / 2]) sphere(d = ball_d);
        translate([-cell_hole_pitch / 2 - cell_hole_inset, -cell_width / 2, 0]) cell_holes(cradle_wall);
    }
}

// A spacer under each end of a cell: the fixed end on the base plate, the free end under the top
// plate, so the force on the top plate goes through the cell's bending section.
module plate_spacer() {
    difference() {
        cube([cell_hole_pitch + 2 * cell_hole_inset, cell_width, spacer_height]);
        cell_holes(spacer_height);
    }
}

module plate_spacers() {
    for (i = [0 : 7]) translate([(i % 4) * 30, floor(i / 4) * 20, 0]) plate_spacer();
}

// Where the cells go: their centres at the corners, the same for base and top plate.
function cell_centres() = [
    [-plate_width / 2 + cell_inset + cell_length / 2,  plate_length / 2 - cell_inset],  // fl
    [ plate_width / 2 - cell_inset - cell_length / 2,  plate_length / 2 - cell_inset],  // fr
    [-plate_width / 2 + cell_inset + cell_length / 2, -plate_length / 2 + cell_inset],  // rl
    [ plate_width / 2 - cell_inset - cell_length / 2, -plate_length / 2 + cell_inset],  // rr
];

module plate_drilling() {
    difference() {
        square([plate_width, plate_length], center = true);
        for (c = cell_centres()) translate(c)
            for (sx = [-1, 1]) for (dx = [cell_hole_inset, cell_hole_inset + cell_hole_pitch])
                translate([sx * (cell_length / 2 - dx), 0]) circle(d = cell_hole_d);
        // the calibration marks: the centre and halfway to each corner (pfsense calibrate)
        for (sx = [-1, 1]) for (sy = [-1, 1]) translate([sx * plate_width / 4, sy * plate_length / 4]) circle(d = 3);
        circle(d = 3);
    }
}

if (part == "cradle") cradle();
else if (part == "plate_spacers") plate_spacers();
else if (part == "plate_drilling") plate_drilling();

// pfsense measures the centre of pressure between the cells' centres, not the plate's edges:
// give it their spacing (here 180 x 360 for the defaults).
echo(str("pfsense --plate-mm ", plate_width - 2 * cell_inset - cell_length, " ", plate_length - 2 * cell_inset));
