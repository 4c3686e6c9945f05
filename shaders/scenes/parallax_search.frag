// Pass 1 of parallax (half resolution): for each output pixel, the depth of the picture point
// that lands there. Each picture point with depth d (u_depth, near = 1) appears shifted by the
// camera offset times (d - focus) and scaled about the centre by a depth-dependent dolly; we
// search the depth layers from near to far for the first point that lands here (near covers
// far), then refine. The search is the costly part and the depth is soft, so it runs at half
// resolution. It hands pass 2 (parallax_show.frag) the offset from each output point to the
// picture point it shows, which is smooth wherever the depth is (bilinear from half resolution
// reproduces it), so pass 2 needs no camera of its own and looks the colour up at full resolution.
#include "math.glsl"
#include "noise.glsl"
#include "image.glsl"

uniform float p_orbit = 1.0;     // camera orbit amount (1 = about 1.5 % of frame at the nearest layer)
uniform float p_dolly = 1.0;     // dolly-in on kicks
uniform float p_focus = 0.25;    // depth that stays put; nearer moves with the camera, farther against
uniform float p_drift = 1.0;     // slow free drift when there is no beat

const int LAYERS = 8;  // depth is soft: 8 layers + 4 bisection steps match a 40-layer search

vec2 cam;      // camera offset, height units
float dolly;   // dolly strength for this frame
vec2 centre;   // dolly centre, height units

// Where a picture point at depth d must be read from, to land at output point p (height units).
vec2 source_of(vec2 p, float d) {
    float scale = 1.0 + dolly * (0.01 + 0.06 * d);
    return centre + (p - centre - cam * (d - p_focus)) / scale;
}

float depth_at(vec2 p) { return image_depth(uncentered_uv(p, u_aspect)); }

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

    // Near-to-far layer search, then bisection between the bracketing layers.
    float hi = 1.0, lo = 1.0;
    bool hit = false;
    for (int i = 0; i <= LAYERS; i++) {
        float d = 1.0 - float(i) / float(LAYERS);
        if (depth_at(source_of(p, d)) >= d) { lo = d; hit = true; break; }
        hi = d;
    }
    if (!hit) lo = 0.0;
    for (int k = 0; k < 4; k++) {
        float mid = 0.5 * (hi + lo);
        if (depth_at(source_of(p, mid)) >= mid) lo = mid; else hi = mid;
    }
    // r, g: where to read the picture, as an offset from p (height units); b: the depth seen here.
    fragColor = vec4(source_of(p, lo) - p, lo, 1.0);
}
