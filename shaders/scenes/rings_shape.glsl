// rings_shape.glsl: the geometry both passes of rings share, so the square the region pass bounds
// is where the output pass's rings really are.
#ifndef RINGS_SHAPE_GLSL
#define RINGS_SHAPE_GLSL

uniform float p_spread = 1.0;     // how far loud bands push their ring outward

const float RINGS = 20.0;
const float R0 = 0.075;   // innermost ring radius, frame heights
const float R1 = 0.47;    // outermost ring radius
const float RINGS_SPACING = (R1 - R0) / RINGS;

// A gentle punch on the kick: the whole disc scales up by this and settles.
float rings_punch() { return 1.0 + 0.08 * u_bass_env; }

// Ring i is looked at only from pixels whose ring cell, floor((r - R0) / spacing), is i or i + 1
// (the output pass's loop): beyond R0 + (RINGS + 1) spacing, in the punched coordinates, no ring
// adds anything at all, whatever its level, spread or glow.
const float RINGS_REACH = R0 + (RINGS + 1.0) * RINGS_SPACING;

#endif
