// @description Punch-in zoom on every beat, centred on the subject; the bass shakes the picture and hits split the colours
// @image true
// @feedback false
//
// The picture is u_image (fitted to the frame). Everything moves in fractions of the frame height
// and is driven by features and u_time, so it looks the same at any size and frame rate.
#include "math.glsl"
#include "image.glsl"
#include "scene_kit.glsl"

uniform float p_zoom = 0.12;      // extra zoom at a beat: 0.12 = 12 % closer, eased back out
uniform float p_center_x = 0.5;   // zoom centre, normalized, origin top-left (0.5, 0.4 = a face)
uniform float p_center_y = 0.4;
uniform float p_shake = 0.6;      // bass displacement, 1 = about 1 % of the frame height
uniform float p_split = 0.5;      // chromatic split on hits
uniform float p_flash = 0.35;     // beat flash; 1 = 25 % toward white (default stays under 10 %)
uniform float p_vignette = 0.5;   // edge darkening, pumped a little by the bass

void main() {
    vec2 uv = v_uv;
    vec2 c = vec2(p_center_x, 1.0 - p_center_y);
    float t = u_time;

    // Punch: beat_pulse already jumps to 1 on the beat and decays exponentially; squaring it
    // sharpens the ease-out so the zoom lands and releases rather than drifting. Downbeats
    // punch harder. A steady 2 % overscan keeps mirrored edges out of sight while shaking.
    float punch = max(u_beat_pulse * u_beat_pulse, 0.7 * u_bass_hit * u_bass_hit);
    float zoom = 1.02 + p_zoom * (punch + 0.5 * u_downbeat_pulse * u_downbeat_pulse);
    vec2 q = zoom_uv(uv, c, zoom);

    // Bass displacement: a smooth noise field (no tearing), amplitude by the bass envelope,
    // plus a radial thump from the centre on bass hits. Units: frame heights.
    vec2 p = centered_uv(q, u_aspect);
    float bass = clamp(u_bass_env, 0.0, 1.0);
    // The field is two slow travelling waves per axis in odd directions (about 1.5 cycles a frame
    // height, never in step): as smooth as noise at this size and a fifth of its cost per pixel.
    vec2 wobble = vec2(0.6 * sc_sin_turns(dot(p, vec2(1.31, 0.72)) + 0.23 * t)
                       + 0.4 * sc_sin_turns(dot(p, vec2(-0.58, 1.67)) - 0.17 * t + 0.3),
                       0.6 * sc_sin_turns(dot(p, vec2(-0.83, 1.24)) - 0.19 * t + 0.6)
                       + 0.4 * sc_sin_turns(dot(p, vec2(1.52, 0.49)) + 0.29 * t + 0.1));
    vec2 d = wobble * (0.01 * p_shake * bass);
    d += (q - c) * vec2(u_aspect, 1.0) * (-0.025 * p_shake * u_bass_hit);
    q += height_units_to_uv(d, u_aspect);

    // Chromatic split grows toward the edges like a lens, only on hits.
    float hit = max(u_onset, u_beat_pulse);
    vec2 dir = (q - c) * vec2(u_aspect, 1.0);
    vec2 split_dir = height_units_to_uv(dir / max(length(dir), 1e-3) * min(length(dir), 0.5), u_aspect);
    vec3 col = image_split(q, split_dir, 0.02 * p_split * hit * hit);

    // Grade: slight contrast lift with the level, vignette pumped by the bass.
    float lvl = clamp(u_level, 0.0, 1.0);
    col = mix(vec3(0.5), col, 1.0 + 0.08 * lvl);
    float r = length(centered_uv(uv, u_aspect));
    col *= 1.0 - p_vignette * (0.35 + 0.25 * bass) * smoothstep(0.35, 1.05, r);

    // Flash: on beats only (so at most one flash per beat), and every other beat above
    // 170 BPM, which keeps full-frame flashes under 3 per second (WCAG 2.3.1).
    float every = u_tempo_bpm > 170.0 ? 2.0 : 1.0;
    float gate = mod(floor(u_beat_count + 0.5), every) < 0.5 ? 1.0 : 0.0;
    float flash = 0.25 * p_flash * gate * u_beat_pulse * u_beat_pulse * u_beat_pulse;
    col = mix(col, vec3(1.0), clamp(flash, 0.0, 1.0));

    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
