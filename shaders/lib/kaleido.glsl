// kaleido.glsl: the mirror fold shared by both passes of the kaleido scene, so the half-resolution
// field and the full-resolution shading fold the frame identically.
#include "scene_kit.glsl"

uniform float p_segments = 6.0;   // base number of mirror segments (a bar may add 0, 2 or 4)
uniform float p_zoom = 0.0;       // extra zoom-in, 0 = none; routed from the kick for a punch

struct KaleidoFold {
    float r;      // distance from the centre, frame heights
    float a;      // angle inside the wedge, radians (0 at one mirror, wedge at the other)
    float wedge;  // half the segment angle, radians
    vec2 q;       // the folded point
};

KaleidoFold kaleido_fold(vec2 uv) {
    vec2 p = (uv - 0.5) * vec2(u_aspect, 1.0);

    // Punch-in on the kick (envelope, so it jumps and decays with the drum).
    p *= 1.0 / (1.0 + 0.22 * u_bass_env + p_zoom);

    // Segment count is picked per bar, so the mirror changes on the downbeat (a cut on the one).
    float choice = floor(sc_hash11(u_bar_count + 3.0) * 3.0);
    float segs = max(3.0, floor(p_segments + 0.5)) + 2.0 * choice;

    // Turn one segment per bar, eased to land on the downbeat; slow drift underneath.
    float turn = (u_bar_count + sc_ease_out(u_bar_phase * 1.25)) * SC_TAU / segs + 0.05 * u_time;
    p = sc_rot(turn) * p;

    // Mirror fold into one wedge.
    KaleidoFold k;
    k.r = length(p);
    k.wedge = SC_PI / segs;
    float a = sc_atan2(p.y, p.x);
    a = mod(a, 2.0 * k.wedge);
    k.a = abs(a - k.wedge);
    float at = k.a * (1.0 / SC_TAU);
    k.q = k.r * vec2(sc_cos_turns(at), sc_sin_turns(at));
    return k;
}
