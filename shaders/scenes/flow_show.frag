// Pass 2 of flow: shade the ink as a glossy liquid (normal from the density gradient) over a
// dark backdrop, and tone-map to display sRGB.
#include "scene_kit.glsl"

uniform float p_hue = 0.6;
uniform float p_gloss = 1.0;    // strength of the specular sheen

void main() {
    // Gradient over a fixed fraction of the frame height, so the relief looks the same at any size.
    vec2 texel = vec2(1.0 / u_aspect, 1.0) * 0.0025;
    vec3 ink = texture(u_pass_ink, v_uv).rgb;
    // Forward differences: three fetches instead of five (each costs ~3 ms a frame on llvmpipe).
    float h0 = dot(ink, vec3(0.333));
    float hx = 2.0 * (dot(texture(u_pass_ink, v_uv + vec2(texel.x, 0.0)).rgb, vec3(0.333)) - h0);
    float hy = 2.0 * (dot(texture(u_pass_ink, v_uv + vec2(0.0, texel.y)).rgb, vec3(0.333)) - h0);
    vec3 n = normalize(vec3(-hx, -hy, 0.12));
    vec3 light = normalize(vec3(-0.4, 0.6, 0.7));
    float diff = clamp(dot(n, light), 0.0, 1.0);
    float rz = clamp(dot(reflect(-light, n), vec3(0.0, 0.0, 1.0)), 0.0, 1.0);
    float r2 = rz * rz, r4 = r2 * r2, r8 = r4 * r4;
    float spec = r8 * r8 * r8;   // rz^24 by squaring: pow() is costly on llvmpipe

    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);
    vec3 backdrop = sc_neon(0.75, p_hue) * 0.025 * (1.0 - 0.6 * length(p));
    float density = dot(ink, vec3(0.333));
    vec3 col = backdrop + ink * (0.55 + 0.6 * diff);
    col += vec3(1.0) * spec * smoothstep(0.02, 0.3, density) * (0.25 + 0.5 * u_high_env) * p_gloss;

    // The ink lights up a little on each beat and more on the downbeat: the ink can cover most of
    // the frame, so the big accent stays on the bar (well under three flashes a second).
    col *= 0.8 + 0.15 * u_beat_pulse + 0.35 * u_downbeat_pulse + 0.15 * u_bass_env;
    fragColor = vec4(sc_tonemap(col), 1.0);
}
