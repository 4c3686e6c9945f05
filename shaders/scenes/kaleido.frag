// @description Kaleidoscope of flowing ink: mirror count changes each bar, turns with the bar, colour follows the brightness of the sound
// @image false
// @feedback false
#include "scene_kit.glsl"

uniform float p_hue = 0.0;        // palette rotation, 0..1
uniform float p_segments = 6.0;   // base number of mirror segments (a bar may add 0, 2 or 4)
uniform float p_zoom = 0.0;       // extra zoom-in, 0 = none; routed from the kick for a punch
uniform float p_intensity = 1.0;  // overall brightness

void main() {
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);

    // Punch-in on the kick (envelope, so it jumps and decays with the drum).
    p *= 1.0 / (1.0 + 0.22 * u_bass_env + p_zoom);

    // Segment count is picked per bar, so the mirror changes on the downbeat (a cut on the one).
    float choice = floor(sc_hash11(u_bar_count + 3.0) * 3.0);
    float segs = max(3.0, floor(p_segments + 0.5)) + 2.0 * choice;

    // Turn one segment per bar, eased to land on the downbeat; slow drift underneath.
    float turn = (u_bar_count + sc_ease_out(u_bar_phase * 1.25)) * SC_TAU / segs + 0.05 * u_time;
    p = sc_rot(turn) * p;

    // Mirror fold into one wedge.
    float r = length(p);
    float wedge = SC_PI / segs;
    float a = atan(p.y, p.x);
    a = mod(a, 2.0 * wedge);
    a = abs(a - wedge);
    float at = a * (1.0 / SC_TAU);
    vec2 q = r * vec2(sc_cos_turns(at), sc_sin_turns(at));

    // The pattern streams outward: a translation along the wedge axis that advances on each beat
    // (eased) plus a slow drift, so motion reads as musical, never as jitter.
    float stream = 0.35 * (u_beat_count + sc_ease_out(u_beat_phase * 2.0)) + 0.1 * u_time;
    vec2 s = q * 3.2 - vec2(stream, 0.0);

    // Two-level domain warp of fbm: ink-like filaments. Warp strength breathes with the mids.
    float t = 0.15 * u_time;
    // The warp field only needs its broad shapes: two octaves each (noise is the main cost).
    vec2 w1 = vec2(sc_fbm(s + vec2(0.0, t), 2), sc_fbm(s + vec2(5.2, 1.3 - t), 2));
    float warp = 2.2 + 1.2 * u_mid_env;
    float f = sc_fbm(s + warp * w1 + vec2(1.7, 9.2), 4);

    // Filaments: anti-aliased iso-lines of the field, like ink contours; they drift as it flows.
    float levels = f * 9.0 + 0.3 * u_time;
    float dl = abs(fract(levels) - 0.5);
    // Distance to the nearest iso-line in pixels: a hairline core plus a halo sized in frame height.
    float wl = max(fwidth(levels), 1e-4);
    float epx = (0.5 - dl) / wl;
    float ridge = clamp(1.5 - epx, 0.0, 1.0) + 0.5 * sc_glow(epx, 0.003 * u_resolution.y);
    ridge *= clamp(2.0 - wl * 6.0, 0.0, 1.0);   // fade where lines would crowd into moire

    // Colour walks the palette with the field; the sound's brightness pushes it toward warm.
    float hue = p_hue + 0.35 * u_brightness + 0.02 * u_time;
    // A two-tone palette (deep blue -> magenta -> gold) reads richer than a full rainbow.
    vec3 base = sc_palette(f * 1.1 + length(w1) * 0.5, vec3(0.5), vec3(0.5), vec3(1.0, 1.0, 0.5),
                           vec3(0.8, 0.9, 0.3) + hue);
    // Deep shadows between the filaments: contrast is what makes it read on a big screen.
    float body = smoothstep(0.35, 0.85, f);
    vec3 col = base * base * body * 0.9;
    col += sc_neon(f + 0.5, hue) * ridge * (0.35 + 1.4 * u_onset + 0.5 * u_high_env);

    // Mirror seams glow on the beat: a thin AA line along the wedge edges.
    float seam = min(a, wedge - a) * r;
    float seamLine = sc_glow(seam, 0.002 + 0.003 * u_beat_pulse);
    col += sc_neon(0.1, hue) * seamLine * (0.15 + 0.9 * u_beat_pulse) * smoothstep(0.0, 0.15, r);

    // Centre jewel that swells with the sub; vignette keeps the eye in the middle.
    col += sc_neon(0.8, hue) * sc_glow(r, 0.03 + 0.06 * u_sub_env) * (0.3 + 0.7 * u_level);
    col *= smoothstep(1.05, 0.25, r);
    col *= p_intensity * (0.55 + 0.7 * u_level);

    fragColor = vec4(sc_tonemap(col), 1.0);
}
