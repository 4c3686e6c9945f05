// image.glsl: safe sampling of u_image / u_depth with mirrored edges, and a chromatic split.
#include "color.glsl"

// u_image is fitted (cover) to the output, so image uv == screen uv when nothing moves.
// Mirroring (not clamping) means a warp that looks past the border shows a reflection of the
// picture rather than a smeared edge pixel.

// Mirror-repeat uv into [0, 1].
vec2 mirror_uv(vec2 uv) {
    vec2 m = mod(uv, 2.0);
    return mix(m, 2.0 - m, step(1.0, m));
}

// Image colour (sRGB-encoded values) at uv with mirrored edges.
vec3 image_rgb(vec2 uv) { return texture(u_image, mirror_uv(uv)).rgb; }

// Image colour in linear light, for blending/blurring.
vec3 image_linear(vec2 uv) { return srgb_to_linear(image_rgb(uv)); }

// Blurred image colour from the mipmap chain: lod 3 ~ 8 px, lod 5 ~ 32 px wide at 720p (one tap).
vec3 image_blur(vec2 uv, float lod) { return textureLod(u_image, mirror_uv(uv), lod).rgb; }

// Depth (near = 1) at uv with mirrored edges.
float image_depth(vec2 uv) { return texture(u_depth, mirror_uv(uv)).r; }

// Chromatic split: red and blue sampled `amount` apart along `dir` (uv units); sRGB out.
vec3 image_split(vec2 uv, vec2 dir, float amount) {
    vec2 o = dir * amount;
    return vec3(texture(u_image, mirror_uv(uv + o)).r,
                texture(u_image, mirror_uv(uv)).g,
                texture(u_image, mirror_uv(uv - o)).b);
}

// Zoom about a centre (uv units): factor > 1 magnifies.
vec2 zoom_uv(vec2 uv, vec2 centre, float factor) { return centre + (uv - centre) / factor; }

// Aspect-correct offset: d in frame-height units -> uv units.
vec2 height_units_to_uv(vec2 d, float aspect) { return vec2(d.x / aspect, d.y); }
