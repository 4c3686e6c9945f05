// Pass 1 of breathe (quarter resolution): where each output pixel reads the picture.
// A slow Ken Burns drift and a flow-field warp (fbm noise advected over time), both scaled by
// the loudness as heard. Output: rg = offset in uv to add to v_uv, b = energy.
#include "math.glsl"
#include "noise.glsl"
#include "image.glsl"

uniform float p_amount = 1.0;    // warp strength, 1 = about 1 % of the frame height at full level
uniform float p_drift = 1.0;     // slow pan/zoom amount
uniform float p_speed = 1.0;     // flow speed multiplier
uniform float p_swell = 1.0;     // how much the motion follows the music's loudness (u_loudness)

void main() {
    vec2 uv = v_uv;
    float t = u_time * p_speed;
    // Energy follows the loudness a listener hears (u_loudness: K-weighted, 3 s, keeps the
    // music's dynamics), not the gain-normalized level: a crescendo makes it move more.
    // The normalized level and presences only add a little texture on top.
    float presence = max(max(u_bass_presence, u_mid_presence), max(u_lowmid_presence, u_high_presence));
    float energy = clamp(p_swell * u_loudness * (0.85 + 0.1 * presence + 0.05 * u_level), 0.0, 1.2);

    // Drift: a slow elliptical pan and a breathing zoom (periods of 20-40 s), overscanned 6 %.
    vec2 pan = vec2(sin(t * 0.21), cos(t * 0.17)) * 0.012 * p_drift * (0.15 + energy);
    float zoom = 1.06 + 0.02 * p_drift * (0.15 + 0.85 * energy) * sin(t * 0.31) + 0.015 * energy;
    vec2 q = zoom_uv(uv, vec2(0.5), zoom) + height_units_to_uv(pan, u_aspect);

    // Flow: noise advected along a slowly turning direction, sampled at low frequency so the
    // subject bends rather than dissolves. Two octaves of motion at different speeds.
    vec2 p = centered_uv(q, u_aspect) * 2.2;
    vec2 flow = vec2(0.6, 0.25) * t * 0.12;
    vec2 warp = vec2(fbm(p + flow, 3), fbm(p + vec2(5.2, 1.3) - flow.yx, 3));
    warp += 0.3 * vec2(fbm(p * 2.0 - flow * 1.7, 2), fbm(p * 2.0 + vec2(9.1, 3.7) + flow * 1.3, 2));
    q += height_units_to_uv(warp * 0.01 * p_amount * (0.15 + energy), u_aspect);
    fragColor = vec4(q - uv, energy, 1.0);
}
