// @description Lip-sync: the face in the picture mouths the vocals and nods to the beat while the rest holds still
// @image true
// @feedback false
//
// Regions are normalized (x, y, w, h) with the origin top-left, as an image editor shows them.
// The defaults fit the built-in demo picture at 16:9; a preset sets them for another image.
// Warps are built as inverse maps (for each output pixel, where to read the picture), with
// smooth masks so only the mouth/jaw and head move and nothing tears.
#include "math.glsl"
#include "image.glsl"

uniform float p_mouth_x = 0.46625;  // mouth region, normalized, origin top-left
uniform float p_mouth_y = 0.542;
uniform float p_mouth_w = 0.0675;
uniform float p_mouth_h = 0.052;
uniform float p_head_x = 0.0;       // head region; p_head_w = 0 derives it from the mouth
uniform float p_head_y = 0.0;
uniform float p_head_w = 0.0;
uniform float p_head_h = 0.0;
uniform float p_open = 1.0;         // mouth opening at full voice, in mouth heights
uniform float p_nod = 1.0;          // head nod on beats (1 = about 2 degrees and 1 % of frame)
uniform float p_sway = 1.0;         // idle head sway with the music's level
uniform float p_dark = 0.8;         // how dark the inside of the open mouth is
uniform float p_gate = 0.1;         // voice below this keeps the mouth shut (noise floor)

// Region (x, y, w, h, top-left origin, normalized) -> centre and half size in height units.
void region_hu(vec4 r, out vec2 centre, out vec2 half_size) {
    centre = centered_uv(vec2(r.x + 0.5 * r.z, 1.0 - (r.y + 0.5 * r.w)), u_aspect);
    half_size = max(vec2(0.5 * r.z * u_aspect, 0.5 * r.w), vec2(1e-3));  // a zero-size region must not divide by 0
}

void main() {
    vec2 p = centered_uv(v_uv, u_aspect);  // output pixel, height units, y up

    vec2 mc, mh;
    region_hu(vec4(p_mouth_x, p_mouth_y, p_mouth_w, p_mouth_h), mc, mh);
    vec2 hc, hh;
    if (p_head_w > 0.0) {
        region_hu(vec4(p_head_x, p_head_y, p_head_w, p_head_h), hc, hh);
    } else {  // proportions of a face: the head is ~10 mouth-heights tall, centred above the mouth
        hh = vec2(max(1.8 * mh.x, 0.6 * 5.1 * mh.y), 5.1 * mh.y);
        hc = mc + vec2(0.0, 3.2 * 2.0 * mh.y);
    }

    // Head: rotate about the neck (bottom of the head region) and dip on beats, alternating
    // direction each beat; a slow sway follows the level. Smooth elliptical mask.
    float side = mod(floor(u_beat_count + 0.5), 2.0) < 0.5 ? 1.0 : -1.0;
    float beat = u_beat_pulse * u_beat_pulse * (3.0 - 2.0 * u_beat_pulse);
    float angle = p_nod * (0.035 * side * beat) + p_sway * 0.012 * u_level * sin(u_time * 1.3);
    vec2 pivot = hc - vec2(0.0, 0.9 * hh.y);
    vec2 dip = vec2(0.0, -0.01 * p_nod * beat);
    float head_mask = 1.0 - smoothstep(1.0, 1.45, length((p - hc) / hh));
    vec2 head_src = pivot + rot2(-angle) * (p - dip - pivot);
    vec2 q = mix(p, head_src, head_mask);

    // Mouth: offsets from the lip line, in head-local coordinates (the mouth rides the nod).
    float voice = smoothstep(p_gate, 1.0, u_voice);
    float open = voice * p_open * 2.0 * mh.y;
    vec2 m = q - mc;
    float across = abs(m.x) / mh.x;                                  // 0 centre, 1 mouth corner
    float lip_profile = sqrt(max(1.0 - across * across, 0.0));      // lens-shaped opening
    float jaw_mask = 1.0 - smoothstep(0.9, 2.0, across);             // the chin moves as a block
    float up = 0.25 * open * lip_profile;                            // upper lip lifts a little
    float down = open * mix(lip_profile, 1.0, 0.55) * jaw_mask;      // jaw drops
    float inside = 0.0;
    float sy;
    if (m.y >= 0.0) {
        // Above the lip line: [0, up] shows the lip line itself (the gap grows), then the shift
        // fades out toward the nose over ~2 mouth heights.
        float fade = 1.0 - smoothstep(0.0, 2.0 * 2.0 * mh.y, m.y - up);
        sy = max(m.y - up * fade, 0.0);
        inside = 1.0 - smoothstep(0.6 * up, up + 1e-5, m.y);
    } else {
        // Below: the lower lip, chin and jaw move down by `down`, fading out under the chin.
        float fade = 1.0 - smoothstep(0.0, 5.0 * 2.0 * mh.y, -m.y - down);
        sy = min(m.y + down * fade, 0.0);
        inside = 1.0 - smoothstep(0.6 * down, down + 1e-5, -m.y);
    }
    inside *= smoothstep(1.0, 0.6, across) * smoothstep(0.0, 0.15 * mh.y, up + down);
    q = mc + vec2(m.x, sy);

    vec3 col = image_rgb(uncentered_uv(q, u_aspect));
    // The opened gap is the stretched lip line; darken it into a mouth interior so it reads
    // as open on any picture, with a soft top shadow and a hint of warm colour.
    vec3 interior = col * 0.25 + vec3(0.06, 0.0, 0.015);
    col = mix(col, interior, p_dark * inside);
    fragColor = vec4(col, 1.0);
}
