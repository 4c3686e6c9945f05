// Pass 1 of trails (1x1 pixel, rgba32f): the square around the shape (x0, y0, x1, y1 in uv), outside
// which the output pass only streams the trails (the shapes add nothing there). The polygon lies
// within trails_size() of the centre; its line reaches 0.012 from the edge (the glow; the core
// band is thinner, plus a pixel of anti-aliasing), which at a corner is at most twice as far out
// (edges meet at 60 degrees or more); the beads reach trails_bead_radius() past the corners.
#include "trails_shape.glsl"

void main() {
    vec2 out_px = u_output_resolution;  // this pass is 1x1
    float px = 1.0 / out_px.y;
    float line = max(TRAILS_GLOW, max(trails_line_width(), 0.002) + 2.0 * px);  // core: at least its rest width
    float reach = trails_size() + max(2.0 * line, trails_bead_radius()) + 2.0 * px;
    vec2 half_uv = vec2(reach * out_px.y / out_px.x, reach);
    fragColor = vec4(0.5 - half_uv, 0.5 + half_uv);
}
