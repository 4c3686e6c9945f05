// @description Ambient: the picture slowly breathes and flows like heat haze, more as the music swells
// @image true
// @feedback true
//
// A flow-field warp (fbm noise advected over time) and a slow Ken Burns drift whose amplitude
// follows the level and the band presences. A soft, time-constant trail (u_prev) makes it dreamy;
// its weight is exp(-dt / tau), so it looks the same at any frame rate.
#include "math.glsl"
#include "noise.glsl"
#include "image.glsl"

uniform float p_amount = 1.0;    // warp strength, 1 = about 1 % of the frame height at full level
uniform float p_drift = 1.0;     // slow pan/zoom amount
uniform float p_speed = 1.0;     // flow speed multiplier
uniform float p_trail = 0.25;    // trail time constant, seconds (0 = none)
uniform float p_glow = 0.5;      // soft bloom of highlights with the level
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

    vec3 lin = image_linear(q);
    // Soft glow: a wide blur from the image's mipmaps (one tap), added by brightness.
    vec3 blur = srgb_to_linear(0.5 * (image_blur(q, 3.5) + image_blur(q, 5.0)));
    lin += blur * smoothstep(0.3, 1.0, luma(blur)) * p_glow * (0.2 + 0.6 * energy);
    lin *= 0.85 + 0.2 * energy;  // the picture brightens gently as it swells

    vec3 col = linear_to_srgb(soft_clip(lin));
    vec4 prev = texture(u_prev, uv);
    // alpha marks a valid previous frame (u_prev is black with alpha 0 at frame 0).
    float keep = prev.a > 0.5 && p_trail > 0.0 ? exp(-u_dt / max(p_trail, 1e-3)) * 0.7 : 0.0;
    col = mix(col, prev.rgb, keep);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
