// @description Julia-set filaments that slowly morph with the bars, punch in on every beat and glow with the highs
// @image false
// @feedback false
//
// The Julia set of z -> z^2 + c, with c travelling the circle |c| = 0.7885 (a family of lacy,
// connected-to-dusty sets) a sixteenth of a turn per bar. Rendered from the distance estimate
// 0.5 |z| ln|z| / |z'| so edges are anti-aliased at any resolution and glow without noise;
// coloured by smooth escape time and an orbit trap.
#include "scene_kit.glsl"

uniform float p_hue = 0.02;       // palette rotation, 0..1
uniform float p_zoom = 1.0;       // base magnification
uniform float p_glow = 1.0;       // filament glow width
uniform float p_intensity = 1.0;  // overall brightness

const int ITER = 48;

void main() {
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);

    // Punch-in on the beat (jumps, settles within the beat) and a little swell with the bass.
    float zoom = p_zoom * (1.0 + 0.12 * u_beat_pulse + 0.06 * u_bass_env);
    // The set turns a sixteenth per bar, eased onto the downbeat.
    float turn = 0.0625 * (u_bar_count + sc_ease_out(u_bar_phase * 1.3));
    float scale = 2.9 / zoom;   // fractal units per frame height
    vec2 z = sc_rot(turn * SC_TAU) * p * scale;

    // c walks the circle |c| = 0.7885: one sixteenth of a turn per bar, plus a breath from the sub.
    float walk = (u_bar_count + u_bar_phase) / 16.0 + 0.1;
    vec2 c = (0.7885 + 0.01 * u_sub_env) * vec2(sc_cos_turns(walk), sc_sin_turns(walk));

    vec2 dz = vec2(1.0, 0.0);
    float trap = 1e9;
    float n = 0.0;
    float r2 = dot(z, z);
    for (int i = 0; i < ITER; i++) {
        if (r2 > 256.0) break;
        // z' <- 2 z z' (complex), z <- z^2 + c
        dz = 2.0 * vec2(z.x * dz.x - z.y * dz.y, z.x * dz.y + z.y * dz.x);
        z = vec2(z.x * z.x - z.y * z.y, 2.0 * z.x * z.y) + c;
        r2 = dot(z, z);
        trap = min(trap, abs(r2 - 0.35));
        n += 1.0;
    }
    bool escaped = r2 > 256.0;
    float rz = sqrt(r2);
    // Distance to the set in frame heights (0 inside).
    float d = escaped ? 0.5 * rz * log(rz) / max(length(dz), 1e-8) / scale : 0.0;
    // Smooth escape count for colour bands without steps.
    float smoothN = escaped ? n - log2(max(log2(r2) * 0.5, 1e-4)) : float(ITER);

    float px = 1.0 / u_resolution.y;
    float edge = clamp(1.0 - (d - 0.0006) / px, 0.0, 1.0);
    float glow = sc_glow(d, (0.003 + 0.004 * u_high_env) * p_glow);
    float halo = sc_glow(d, 0.03) * 0.25;
    // Interior points (never escaped) get no filament light: only pixels outside draw the edge.
    float outside = escaped ? 1.0 : 0.0;
    edge *= outside;
    glow *= outside;
    halo *= outside;

    vec3 filCol = sc_palette(0.03 * smoothN + 0.15 * u_brightness, vec3(0.55, 0.45, 0.5), vec3(0.45, 0.4, 0.4),
                             vec3(1.0), vec3(0.0, 0.1, 0.25) + p_hue);
    vec3 haloCol = sc_palette(0.5 + 0.02 * smoothN, vec3(0.5), vec3(0.5), vec3(1.0), vec3(0.0, 0.1, 0.25) + p_hue);
    vec3 innerCol = sc_palette(0.7 + 0.5 * sqrt(trap), vec3(0.5), vec3(0.5), vec3(1.0), vec3(0.0, 0.1, 0.25) + p_hue);

    float energy = 0.45 + 0.7 * u_level + 0.5 * u_beat_pulse;
    vec3 col = filCol * filCol * 1.6 * (edge + 0.8 * glow) * energy;
    col += haloCol * haloCol * halo * (0.3 + 0.6 * u_level);
    // Inside the set (rare at this |c|, filled where it happens): a dim trap-coloured interior.
    // Trap contours give the (dark) interior some depth.
    float contour = 0.5 + 0.5 * sc_cos_turns(6.0 * sqrt(trap) - 0.5 * u_beat_phase);
    col += escaped ? vec3(0.0) : innerCol * innerCol * (0.03 + 0.08 * contour) * energy;
    col += vec3(0.005, 0.004, 0.012);
    col *= (1.0 - 0.4 * dot(p, p)) * p_intensity;
    fragColor = vec4(sc_tonemap(col), 1.0);
}
