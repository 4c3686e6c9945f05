// Pass 1 of scope (1x1 pixel, rgba32f): the square around the ring (x0, y0, x1, y1 in uv). The
// ring's trace is where its radius plus the windowed waveform puts it, within scope_ring_amp() of
// scope_ring_radius() (the window is at most 1), and lights pixels up to REACH from the trace;
// outside that annulus the output pass skips the ring (its costliest part) and draws the rest.
#include "scope_ring.glsl"

void main() {
    vec2 out_px = u_output_resolution;  // this pass is 1x1
    float reach = scope_ring_radius() + abs(scope_ring_amp()) + REACH + 2.0 / out_px.y;
    vec2 c = vec2(0.5 + SCOPE_RING_CENTRE.x * out_px.y / out_px.x, 0.5 + SCOPE_RING_CENTRE.y);  // in uv
    vec2 half_uv = vec2(reach * out_px.y / out_px.x, reach);
    fragColor = vec4(c - half_uv, c + half_uv);
}
