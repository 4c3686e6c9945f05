// The performer's output pass (performer.toml): the face warp, drawn only inside the rectangle
// performer_region.frag computes; outside it (REACTOR_OUTSIDE_REGION) the picture is copied.
//
// Regions are normalized (x, y, w, h) with the origin top-left, as an image editor shows them.
// The defaults fit the built-in demo picture at 16:9; `reactor render --image` sets them from the
// face it finds (eyes, lip line, chin, head), or `--mouth` by hand.
// Warps are built as inverse maps (for each output pixel, where to read the picture): a smooth
// displacement field anchored on those landmarks (lip line and corners, chin, eyelids), so
// lips, jaw, lids and head move and nothing tears.
#include "math.glsl"
#include "noise.glsl"
#include "image.glsl"
#include "performer_rig.glsl"

// 0..1..0 over a 170 ms blink, about every 4 s at a pseudo-random moment (same for both eyes).
float blink_amount(float t) {
    float period = 4.2 / max(p_blink, 1e-3);
    float k = floor(t / period);
    float at = period * (0.1 + 0.7 * hash12(vec2(k, 7.0)));
    float x = (t - k * period - at) / 0.17;
    return (p_blink > 0.0 && x > 0.0 && x < 1.0) ? sin(PI * x) : 0.0;
}

// Upper lid over an eye at `ec` (height units, y up) of half-width `rx`, closed by `b` 0..1: the
// skin above the eye is stretched down over it. Returns the source point; `lash` gets the lid edge.
vec2 eye_lid(vec2 q, vec2 ec, float rx, float b, inout float lash) {
    float ry = 0.5 * rx;
    vec2 d = q - ec;
    float across = d.x / (LID_HALF_WIDTH * rx);
    float prof = sqrt(max(1.0 - across * across, 0.0));
    float top = LID_TOP * ry, skin = top + LID_SKIN * ry;
    float lid = top - b * LID_DROP * ry * prof;        // lid edge, relative to the eye centre
    if (prof > 0.0 && d.y > lid && d.y < skin) {
        d.y = mix(top, skin, (d.y - lid) / max(skin - lid, 1e-5));
        lash = max(lash, b * prof * (1.0 - smoothstep(0.0, 0.35 * ry, abs(q.y - ec.y - lid))));
    }
    return ec + d;
}

#ifdef REACTOR_OUTSIDE_REGION
// Nothing moves out here: the head's mask, the jaw and the lids all end inside the region. The
// picture is fitted to the frame, so it is read texel for texel (no filtering: half the cost of
// a filtered read on a CPU), and its colour is already exact 8-bit levels: no dither.
#define REACTOR_UNDITHERED
void main() { fragColor = vec4(texelFetch(u_image, ivec2(gl_FragCoord.xy), 0).rgb, 1.0); }
#else
void main() {
    vec2 p = centered_uv(v_uv, u_aspect);  // output pixel, height units, y up

    vec2 mc, mh, hc, hh;
    face_rig(u_aspect, mc, mh, hc, hh);

    // Head: rotate about the neck (bottom of the head region) and dip on beats, alternating
    // direction each beat; a slow sway follows the level. Smooth elliptical mask.
    float side = mod(floor(u_beat_count + 0.5), 2.0) < 0.5 ? 1.0 : -1.0;
    float beat = u_beat_pulse * u_beat_pulse * (3.0 - 2.0 * u_beat_pulse);
    float angle = p_nod * (0.035 * side * beat) + p_sway * 0.012 * u_level * sin(u_time * 1.3);
    vec2 pivot = hc - vec2(0.0, 0.9 * hh.y);
    vec2 dip = vec2(0.0, -0.01 * p_nod * beat);
    float head_mask = 1.0 - smoothstep(1.0, HEAD_MASK_END, length((p - hc) / hh));
    vec2 head_src = pivot + rot2(-angle) * (p - dip - pivot);
    vec2 q = mix(p, head_src, head_mask);

    // Eyes: occasional blinks (head-local, they ride the nod).
    float lash = 0.0;
    if (p_eye_w > 0.0) {
        float b = blink_amount(u_time);
        float rx = 0.5 * p_eye_w * u_aspect;
        if (b > 0.0) {
            vec2 el = centered_uv(vec2(p_eye_lx, 1.0 - p_eye_ly), u_aspect);
            vec2 er = centered_uv(vec2(p_eye_rx, 1.0 - p_eye_ry), u_aspect);
            q = length(q - el) < length(q - er) ? eye_lid(q, el, rx, b, lash) : eye_lid(q, er, rx, b, lash);
        }
    }

    // Mouth: offsets from the lip line, in head-local coordinates (the mouth rides the nod).
    // Opening follows the vowel (jaw ~ first formant), spread the second formant.
    float voice = smoothstep(p_gate, 1.0, u_vowel_open);
    float open = voice * p_open * 2.0 * mh.y;
    vec2 m = q - mc;
    float lips_near = (1.0 - smoothstep(1.0, 1.8, abs(m.x) / mh.x)) * (1.0 - smoothstep(1.0, LIPS_NEAR, abs(m.y) / mh.y));
    m.x /= 1.0 + 0.18 * p_spread * u_vowel_spread * lips_near;  // spread: corners out; round: in
    float across = abs(m.x) / mh.x;                                  // 0 centre, 1 mouth corner
    float lip_profile = max(1.0 - across * across, 0.0);             // lens-shaped opening
    float jaw_mask = 1.0 - smoothstep(0.9, JAW_WIDTH, across);             // the chin moves as a block
    float up = UPPER_LIP_LIFT * open * lip_profile;                            // upper lip lifts a little
    // the lower lip opens lens-shaped at the lip line; deeper down, the jaw drops as a block
    float jaw_t = smoothstep(0.0, 2.0 * mh.y, -m.y);
    float down = open * mix(lip_profile, 0.8 * jaw_mask, jaw_t);
    float inside = 0.0;
    float sy;
    if (m.y >= 0.0) {
        // Above the lip line: [0, up] shows the lip line itself (the gap grows), then the shift
        // fades out toward the nose over ~2 mouth heights.
        float fade = 1.0 - smoothstep(0.0, NOSE_FADE * mh.y, m.y - up);
        sy = max(m.y - up * fade, 0.0);
        inside = 1.0 - smoothstep(0.6 * up, up + 1e-5, m.y);
    } else {
        // Below: the lower lip, chin and jaw move down by `down`, fading out under the chin.
        float chin = chin_depth(mc, mh);
        float fade = 1.0 - smoothstep(0.6 * chin, CHIN_FADE * chin, -m.y - down);  // the jaw moves to the chin
        sy = min(m.y + down * fade, 0.0);
        inside = 1.0 - smoothstep(0.6 * down, down + 1e-5, -m.y);
    }
    inside *= smoothstep(0.95, 0.3, across) * smoothstep(0.0, 0.15 * mh.y, up + down);
    q = mc + vec2(m.x, sy);

    vec3 col = image_rgb(uncentered_uv(q, u_aspect));
    // The opened gap is the stretched lip line; fill it with a soft, dark mouth interior (a
    // blurred, darkened sample of the lips, not the stretched pixels, which streak), darker in
    // the middle, so it reads as open on any picture.
    // Only pixels inside the open mouth pay for the blurred lookup (a mipmap fetch costs as much
    // as the rest of this shader on a CPU rasterizer); elsewhere the mix would keep col exactly.
    if (inside > 0.0) {
        vec3 lips = image_blur(uncentered_uv(mc + vec2(0.5 * m.x, 0.0), u_aspect), 3.5);
        vec3 interior = lips * (0.16 + 0.1 * across) + vec3(0.05, 0.0, 0.012);
        col = mix(col, interior, p_dark * inside);
    }
    col *= 1.0 - 0.55 * lash;  // lashes along the closing lid
    fragColor = vec4(col, 1.0);
}
#endif
