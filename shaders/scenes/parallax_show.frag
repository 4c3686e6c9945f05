// Pass 2 of parallax (full resolution): the picture's colour where pass 1 (parallax_search.frag,
// the camera and the depth search) says this point looks. Offsets are limited to a few % of the
// frame and the depth is soft, so uncovered background is a short stretch.
#include "math.glsl"
#include "image.glsl"

uniform float p_punch = 0.5;     // contrast punch on kicks

void main() {
    vec2 p = centered_uv(v_uv, u_aspect) / 1.04;  // 4 % overscan hides the mirrored edges (as pass 1)

    // Pass 1's offset to the picture point seen here (bilinear from half resolution), then the
    // colour at full resolution.
    vec2 offset = texture(u_pass_search, v_uv).rg;
    vec3 col = image_rgb(uncentered_uv(p + offset, u_aspect));

    // Kicks punch the contrast a little (uniformly: a depth-keyed grade would outline the subject).
    float kick = max(u_sub_hit, u_bass_hit);
    col = mix(vec3(0.45), col, 1.0 + 0.12 * p_punch * kick);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
