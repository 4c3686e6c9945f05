// Pass 1 of flow: dye density in linear light, advected by a divergence-free (curl-noise)
// velocity field. Reads its own previous frame (u_prev); output is state, not a picture.
#include "scene_kit.glsl"

uniform float p_hue = 0.6;      // palette rotation, 0..1
uniform float p_speed = 1.0;    // current speed multiplier
uniform float p_fade_s = 1.8;   // time for the ink to fade to 1/e, seconds
uniform float p_pour = 1.0;     // how much ink the emitters pour

// Stream function gradient of two octaves; the curl of a scalar potential has no divergence,
// so ink neither piles up nor empties anywhere (it swirls).
vec2 curl(vec2 p, float t, float turbulence) {
    vec3 a = sc_noised(p * 2.0 + vec2(0.0, t));
    vec3 b = sc_noised(p * 4.7 + vec2(t * 1.7, 4.0));
    vec2 g = a.yz * 2.0 + b.yz * 4.7 * (0.2 + 0.5 * turbulence);
    return vec2(g.y, -g.x);
}

void main() {
    vec2 aspect = vec2(u_aspect, 1.0);
    vec2 p = (v_uv - 0.5) * aspect;

    // Turbulence from the bass envelope; the kick also kicks the ink outward from the centre.
    float turbulence = u_bass_env;
    vec2 vel = curl(p, 0.07 * u_time, turbulence) * 0.03 * p_speed * (1.0 + 1.5 * turbulence);
    vel += normalize(p + 1e-4) * 0.35 * u_bass_hit / (1.0 + 4.0 * dot(p, p));

    // Semi-Lagrangian advection: fetch where this ink came from one frame ago.
    vec2 src = v_uv - vel * u_dt / aspect;
    vec3 ink = texture(u_prev, src).rgb;
    ink *= exp(-u_dt / max(p_fade_s, 0.05));

    // The six band envelopes (sub .. high): uniforms, so no texture fetches in the loop.
    float bands[6] = float[6](u_sub_env, u_bass_env, u_lowmid_env, u_mid_env, u_highmid_env, u_high_env);
    // Six emitters on a slow orbit, one per band, each its own colour. Their
    // positions move with the bar phase so the picture re-composes itself every bar.
    float orbit = 0.2 * u_time + 0.5 * (u_bar_count + sc_ease_out(u_bar_phase));
    for (int i = 0; i < 6; i++) {
        float fi = float(i);
        float turns = fi / 6.0 + orbit * (i % 2 == 0 ? 1.0 : -0.7) / SC_TAU;
        float rad = 0.18 + 0.12 * sc_sin_turns(0.059 * u_time + fi * 0.27);
        vec2 e = rad * vec2(sc_cos_turns(turns) * 1.4, sc_sin_turns(turns));
        float band = bands[i];
        float size = 0.012 + 0.025 * band;
        vec2 d = p - e;
        if (dot(d, d) > 4.0 * size * size) continue;
        // Compact polynomial bump (no exp): zero beyond two sizes.
        float k = max(0.0, 1.0 - dot(d, d) / (4.0 * size * size));
        float splat = k * k * k;
        // Neighbouring hues (under half the wheel) so mixed ink stays rich instead of turning grey.
        vec3 col = sc_neon(fi / 6.0 * 0.45 + 0.02 * (u_bar_count + u_bar_phase), p_hue);
        // Pour rate (per second), so the amount of ink does not depend on the frame rate.
        // Onsets make every emitter spurt.
        ink += col * col * splat * (0.25 + 2.0 * band * band * band + 2.5 * u_onset) * p_pour * u_dt * 4.0;
    }
    // Onsets drop a bright bead at the centre that the current then tears apart.
    // Its colour steps round the palette beat by beat.
    vec3 bead = sc_neon(fract(u_beat_count * 0.161) + 0.3 * u_brightness, p_hue);
    float kb = max(0.0, 1.0 - dot(p, p) / 0.0032);
    ink += bead * bead * kb * kb * kb * u_onset * u_dt * 10.0;

    // Clamp so the feedback can never run away to white.
    fragColor = vec4(min(ink, vec3(4.0)), 1.0);
}
