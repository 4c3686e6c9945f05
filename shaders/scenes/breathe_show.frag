// Pass 3 of breathe (full resolution): warp the picture by the upsampled flow (u_pass_flow),
// add the soft glow (u_pass_glow) and a time-constant trail (u_prev) that makes it dreamy; the trail's weight
// is exp(-dt / tau), so it looks the same at any frame rate.
#include "math.glsl"
#include "image.glsl"

uniform float p_trail = 0.25;    // trail time constant, seconds (0 = none)
uniform float p_glow = 0.5;      // soft bloom of highlights with the level

void main() {
    vec2 uv = v_uv;
    vec4 f = texture(u_pass_flow, uv);  // bilinear: the flow is smooth, a quarter-size field is plenty
    vec2 q = uv + f.xy;
    float energy = f.z;

    vec3 lin = image_linear(q);
    // Soft glow: the wide blur of the picture, weighted by brightness (u_pass_glow, quarter size).
    lin += texture(u_pass_glow, uv).rgb * p_glow * (0.2 + 0.6 * energy);
    lin *= 0.85 + 0.2 * energy;  // the picture brightens gently as it swells

    vec3 col = linear_to_srgb(soft_clip(lin));
    vec4 prev = texture(u_prev, uv);
    // alpha marks a valid previous frame (u_prev is black with alpha 0 at frame 0).
    float keep = prev.a > 0.5 && p_trail > 0.0 ? exp(-u_dt / max(p_trail, 1e-3)) * 0.7 : 0.0;
    col = mix(col, prev.rgb, keep);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
