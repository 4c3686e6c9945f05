// Pass 2 of parallax (full resolution): the camera of pass 1 (parallax_search.frag, keep the
// two in step), the depth it found, and the picture's colour at that depth. Offsets are limited
// to a few % of the frame and the depth is soft, so uncovered background is a short stretch.
#include "math.glsl"
#include "noise.glsl"
#include "image.glsl"

uniform float p_orbit = 1.0;     // camera orbit amount (1 = about 1.5 % of frame at the nearest layer)
uniform float p_dolly = 1.0;     // dolly-in on kicks
uniform float p_focus = 0.25;    // depth that stays put; nearer moves with the camera, farther against
uniform float p_drift = 1.0;     // slow free drift when there is no beat
uniform float p_punch = 0.5;     // contrast punch on kicks

vec2 cam;      // camera offset, height units
float dolly;   // dolly strength for this frame
vec2 centre;   // dolly centre, height units

// Where a picture point at depth d must be read from, to land at output point p (height units).
vec2 source_of(vec2 p, float d) {
    float scale = 1.0 + dolly * (0.01 + 0.06 * d);
    return centre + (p - centre - cam * (d - p_focus)) / scale;
}

void main() {
    vec2 p = centered_uv(v_uv, u_aspect) / 1.04;  // 4 % overscan hides the mirrored edges

    // Orbit: a circle per bar (sin/cos of the bar phase are continuous across the wrap), plus a
    // slow drift so the picture still lives in silence.
    float a = TAU * u_bar_phase;
    vec2 orbit = vec2(sin(a), 0.45 * cos(a)) * smoothstep(0.0, 0.3, u_tempo_confidence + u_level);
    vec2 drift = vec2(sin(u_time * 0.23), 0.5 * sin(u_time * 0.17 + 1.0));
    cam = 0.03 * (p_orbit * 0.6 * orbit + p_drift * 0.4 * drift);
    cam *= min(1.0, 0.035 / max(length(cam), 1e-6));  // limit: bigger offsets open holes
    float kick = max(u_sub_hit, u_bass_hit);
    dolly = p_dolly * (kick * kick * (3.0 - 2.0 * kick) + 0.3 * u_bass_env);
    centre = vec2(0.0, 0.05);

    // The depth found by pass 1 (bilinear from half resolution), then the colour at full resolution.
    float d = texture(u_pass_search, v_uv).r;
    vec3 col = image_rgb(uncentered_uv(source_of(p, d), u_aspect));

    // Kicks punch the contrast a little (uniformly: a depth-keyed grade would outline the subject).
    col = mix(vec3(0.45), col, 1.0 + 0.12 * p_punch * kick);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
