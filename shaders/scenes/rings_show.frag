// Pass 2 of rings (the output pass): the rings inside the square rings_region.frag bounds, and
// everywhere the core disc and the backdrop; outside the square (compiled with
// REACTOR_OUTSIDE_REGION) no ring can light a pixel, so the ring loop is left out there.
#include "scene_kit.glsl"
#include "rings_shape.glsl"

uniform float p_hue = 0.62;       // palette rotation, 0..1
uniform float p_bloom = 1.0;      // beat bloom amount
uniform float p_intensity = 1.0;  // overall brightness

// Newest history at the top of the circle, going back in time down both sides (mirrored).
float history_at(float bin, float ang01) {
    float age = ang01 * 0.5;   // 0 .. 0.5 of the texture = the last ~2.1 s
    return textureLod(u_history, vec2(bin, age), 0.0).r;
}

void main() {
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0) / rings_punch();
    float r = length(p);
    vec3 col = vec3(0.0);

#ifndef REACTOR_OUTSIDE_REGION
    float angTop = sc_atan2(p.x, p.y);               // 0 at the top, +-pi at the bottom
    float ang01 = abs(angTop) / SC_PI;

    float spacing = RINGS_SPACING;
    float bloom = p_bloom * u_beat_pulse;
    float halo = 0.003 + 0.007 * bloom;

    float ringF = (r - R0) / spacing;
    // Dash angle once per pixel (atan is costly on a CPU rasterizer).
    float turnsA = 0.25 - angTop / SC_TAU;   // the usual atan(y, x) in turns, from the same atan
    // A ring moves outward by at most 0.7 spacing, so only this cell's ring and the one below
    // can reach this pixel: two lookups, not three.
    for (int k = -1; k <= 0; k++) {
        float i = floor(ringF) + float(k);
        if (i < 0.0 || i >= RINGS) continue;
        float bin = (i + 0.5) / RINGS;
        float xb = bin * 0.94 + 0.03;
        // One history lookup gives the ring its shape: at the top it is the band now (radius and
        // thickness follow the current level), round the sides the last two seconds of it.
        float level = history_at(xb, ang01);
        float radius = R0 + (i + 0.5) * spacing + 0.7 * spacing * level * p_spread;
        // Cubic: typical music sits at 0.5-0.9 on this normalized scale, so only peaks go fat.
        float thick = spacing * (0.03 + 0.42 * level * level * level);
        float d = r - radius;
        float core = sc_band(d, thick);
        // Some rings are dashed arcs turning in alternate directions, stepping on each beat.
        float h = sc_hash11(i * 7.31 + 1.0);
        if (h > 0.45) {
            float count = floor(3.0 + h * 14.0);
            float dir = mod(i, 2.0) * 2.0 - 1.0;
            float stepTurn = (u_beat_count + sc_ease_out(u_beat_phase * 2.5)) * 0.5;
            float a = turnsA * count + dir * stepTurn;
            float fa = abs(fract(a) - 0.5);
            float wa = max(min(fwidth(a), fwidth(fract(a + 0.5))), 1e-4);
            core *= clamp((fa - 0.5 * (0.35 + 0.3 * h)) / wa + 0.5, 0.0, 1.0) * 0.85 + 0.15;
        }
        float glow = sc_glow(max(abs(d) - thick, 0.0), halo);
        vec3 c = sc_neon(0.6 * bin + 0.1 * u_brightness + 0.03 * u_bar_count, p_hue);
        col += c * (core * (0.25 + 0.9 * level) + glow * (0.04 + 0.25 * bloom) * (0.2 + level));
    }
#endif

    // The core: a disc that swells with the sub and rings with onsets.
    float disc = R0 * (0.45 + 0.35 * u_sub_env);
    col += sc_neon(0.9, p_hue) * (sc_band(r - disc * 0.5, disc * 0.5) * (0.25 + 0.8 * u_sub_env)
                                   + sc_glow(r - disc, 0.003) * 0.6 * u_onset);

    // Faint backdrop so black is never dead: a soft radial glow that follows the level.
    col += sc_neon(0.7, p_hue) * 0.05 * sc_glow(r, 0.3) * (0.4 + u_level);
    col *= p_intensity;
    fragColor = vec4(sc_tonemap(col), 1.0);
}
