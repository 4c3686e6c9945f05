// Pass 2 of breathe (quarter resolution, like the flow): the soft glow, a wide blur of the
// warped picture from its mipmaps weighted by its brightness, in linear light. It is 11-32 px
// wide at 720p, so a quarter-size field upsampled loses nothing, and the full-resolution pass
// is spared two mipmap lookups a pixel (the costliest thing it did on a CPU rasterizer).
#include "math.glsl"
#include "image.glsl"

void main() {
    vec2 q = v_uv + texture(u_pass_flow, v_uv).xy;
    vec3 blur = srgb_to_linear(0.5 * (image_blur(q, 3.5) + image_blur(q, 5.0)));
    fragColor = vec4(blur * smoothstep(0.3, 1.0, luma(blur)), 1.0);
}
