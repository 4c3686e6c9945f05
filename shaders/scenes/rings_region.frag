// Pass 1 of rings (1x1 pixel, rgba32f): the square (x0, y0, x1, y1 in uv) around the disc that
// the rings can light this frame, RINGS_REACH times the kick's punch from the centre, plus two
// pixels; outside it the output pass draws only the core and the backdrop.
#include "rings_shape.glsl"

void main() {
    vec2 out_px = u_output_resolution;  // this pass is 1x1
    float reach = RINGS_REACH * rings_punch() + 2.0 / out_px.y;
    vec2 half_uv = vec2(reach * out_px.y / out_px.x, reach);
    fragColor = vec4(vec2(0.5) - half_uv, vec2(0.5) + half_uv);
}
