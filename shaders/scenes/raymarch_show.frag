// Pass 2 of raymarch (full resolution): upsample the half-resolution march, add the beat glow
// around the form, vignette, and tone-map to display sRGB.
#include "scene_kit.glsl"

uniform float p_hue = 0.58;
uniform float p_glow = 1.0;     // halo around the form on the beat

void main() {
    vec4 m = texture(u_pass_march, v_uv);
    vec3 col = m.rgb;
    // Halo: the march's near-miss mask, brightest on the beat.
    col += sc_neon(0.0, p_hue) * m.a * (0.01 + 0.15 * u_beat_pulse) * p_glow;
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);
    col *= 1.0 - 0.35 * dot(p, p);
    fragColor = vec4(sc_tonemap(col), 1.0);
}
