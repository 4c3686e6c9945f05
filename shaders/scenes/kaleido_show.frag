// Pass 2 of kaleido (full resolution): filaments as anti-aliased iso-lines of the upsampled ink
// field (u_pass_field), the palette, the mirror seams and the centre jewel.
#include "kaleido.glsl"

uniform float p_hue = 0.0;        // palette rotation, 0..1
uniform float p_intensity = 1.0;  // overall brightness

void main() {
    KaleidoFold k = kaleido_fold(v_uv);
    vec2 field = texture(u_pass_field, v_uv).rg;  // bilinear: the field is smooth over a few pixels
    float f = field.r;

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
    vec3 base = sc_palette(f * 1.1 + field.g * 0.5, vec3(0.5), vec3(0.5), vec3(1.0, 1.0, 0.5),
                           vec3(0.8, 0.9, 0.3) + hue);
    // Deep shadows between the filaments: contrast is what makes it read on a big screen.
    float body = smoothstep(0.35, 0.85, f);
    vec3 col = base * base * body * 0.9;
    col += sc_neon(f + 0.5, hue) * ridge * (0.35 + 1.4 * u_onset + 0.5 * u_high_env);

    // Mirror seams glow on the beat: a thin AA line along the wedge edges.
    float seam = min(k.a, k.wedge - k.a) * k.r;
    float seamLine = sc_glow(seam, 0.002 + 0.003 * u_beat_pulse);
    col += sc_neon(0.1, hue) * seamLine * (0.15 + 0.9 * u_beat_pulse) * smoothstep(0.0, 0.15, k.r);

    // Centre jewel that swells with the sub; vignette keeps the eye in the middle.
    col += sc_neon(0.8, hue) * sc_glow(k.r, 0.03 + 0.06 * u_sub_env) * (0.3 + 0.7 * u_level);
    col *= smoothstep(1.05, 0.25, k.r);
    col *= p_intensity * (0.55 + 0.7 * u_level);

    fragColor = vec4(sc_tonemap(col), 1.0);
}
