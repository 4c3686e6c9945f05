// The output pass of trails (trails.toml).
//
// The previous frame (u_prev) is zoomed, rotated and faded a little every frame, then the new
// shapes are drawn on top with a "lighten" blend: trails can never get brighter than the shapes
// that made them, so the feedback cannot saturate, and the shapes never stop, so it cannot die.
#include "scene_kit.glsl"
#include "trails_shape.glsl"

uniform float p_hue = 0.9;        // palette rotation, 0..1
uniform float p_zoom = 0.35;      // outward stream of the trails, zoom per second
uniform float p_spin = 0.5;       // trail rotation, radians per second
uniform float p_decay_s = 0.6;    // trail fade time constant, seconds
uniform float p_intensity = 1.0;  // brightness of the shapes

// Distance to a regular n-gon outline of circumradius r.
float ngon(vec2 p, float n, float r) {
    float seg = SC_TAU / n;
    float a = mod(sc_atan2(p.y, p.x) + seg * 0.5, seg) - seg * 0.5;
    return length(p) * sc_cos_turns(a / SC_TAU) - r * sc_cos_turns(0.5 / n);
}

void main() {
    vec2 aspect = vec2(u_aspect, 1.0);
    vec2 p = (v_uv - 0.5) * aspect;

    // Feedback transform, all rates per second so it looks the same at any frame rate. The kick
    // adds a burst of zoom (the hit jumps on the drum, then decays).
    float zoom = (p_zoom + 0.9 * u_bass_hit) * u_dt;
    float spinDir = sc_cos_turns(0.25 * (u_bar_count + u_bar_phase));   // reverses every 2 bars, smoothly
    float spin = p_spin * spinDir * (0.5 + u_level) * u_dt;
    vec2 q = sc_rot(-spin) * p / (1.0 + zoom);
    vec3 prev = textureLod(u_prev, q / aspect + 0.5, 0.0).rgb;
    // Fade with a slow hue drift toward the palette's far end so old trails change colour.
    prev *= exp(-u_dt / max(p_decay_s, 0.05)) * vec3(0.995, 0.985, 1.0);
#ifdef REACTOR_OUTSIDE_REGION
    // Around the shape (trails_region.frag) only the trails move: the shapes add nothing here.
    fragColor = vec4(clamp(prev, 0.0, 1.0), 1.0);
}
#else

    // The shapes: a polygon that turns a step on each beat, with glowing beads at its corners.
    float sides = 3.0 + mod(u_bar_count, 4.0);
    float turn = (u_beat_count + sc_ease_out(u_beat_phase * 2.0)) * SC_TAU / (2.0 * sides) + 0.2 * u_time;
    vec2 ps = sc_rot(turn) * p;
    float size = trails_size();
    float d = ngon(ps, sides, size);
    float line = sc_band(d, trails_line_width()) + 0.4 * max(0.0, 1.0 - abs(d) / TRAILS_GLOW);

    float beads = 0.0;
    for (int i = 0; i < 7; i++) {
        if (float(i) >= sides) break;
        float a = float(i) * SC_TAU / sides;
        vec2 c = size * vec2(sc_cos_turns(a / SC_TAU), sc_sin_turns(a / SC_TAU));
        float rb = trails_bead_radius();
        // Compact bump: no long tails, which the feedback would smear into a haze.
        float k = max(0.0, 1.0 - dot(ps - c, ps - c) / (rb * rb));
        beads += k * k;
    }

    float hueStep = fract(u_beat_count * 0.125);   // colour steps once per beat
    vec3 lineCol = sc_neon(hueStep + 0.1 * u_brightness, p_hue);
    vec3 beadCol = sc_neon(hueStep + 0.5, p_hue);
    float energy = (0.35 + 0.35 * u_level + 0.6 * u_beat_pulse) * p_intensity;
    vec3 shapes = (lineCol * line + beadCol * beads) * energy;
    shapes = sc_tonemap(shapes);

    // Lighten blend only: an additive term would accumulate in the loop (x = 0.15 s / (1 - k)).
    vec3 col = max(prev, shapes);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
#endif
