// Pass 1 of performer (1x1 pixel, rgba32f): the rectangle (x0, y0, x1, y1 in uv, bottom-left
// origin) outside which the face warp moves nothing, so the output pass runs the warp only
// inside it and copies the picture elsewhere (on a CPU rasterizer the warp costs three times
// a plain copy per pixel, and a face is a tenth of a 16:9 frame). It is the union, bounded from
// the same parameters the warp reads, of:
// - the head, to 1.45 of its half size, where its mask ends (pixels beyond it are not turned);
// - the lips and jaw: 2.2 mouth half-widths across (the jaw block), from the nose (4 mouth
//   heights plus the upper lip's lift) down past the chin plus the full opening;
// - the eyes' lids and lashes;
// plus two pixels. Outside the head, the warp reads the picture at the pixel itself.
#include "math.glsl"
#include "performer_rig.glsl"

void grow(inout vec4 box, vec2 lo, vec2 hi) { box = vec4(min(box.xy, lo), max(box.zw, hi)); }

void main() {
    vec2 out_px = u_output_resolution;  // this pass is 1x1
    float aspect = out_px.x / out_px.y;
    vec2 mc, mh, hc, hh;
    face_rig(aspect, mc, mh, hc, hh);
    vec4 box = vec4(hc - HEAD_MASK_END * hh, hc + HEAD_MASK_END * hh);
    float open = 2.0 * abs(p_open) * mh.y;
    float below = max(CHIN_FADE * chin_depth(mc, mh) + open, LIPS_NEAR * mh.y);
    float across = (JAW_WIDTH + 0.1) * mh.x;  // a tenth of slack
    grow(box, mc - vec2(across, below), mc + vec2(across, NOSE_FADE * mh.y + UPPER_LIP_LIFT * open));
    if (p_eye_w > 0.0) {
        float rx = 0.5 * p_eye_w * aspect, ry = 0.5 * rx;
        for (int i = 0; i < 2; ++i) {
            vec2 ec = centered_uv(i == 0 ? vec2(p_eye_lx, 1.0 - p_eye_ly) : vec2(p_eye_rx, 1.0 - p_eye_ry), aspect);
            // from a closed lid's edge to the top of the stretched skin, with a little slack
            grow(box, ec - vec2(LID_HALF_WIDTH * rx, (LID_DROP - LID_TOP + 0.2) * ry),
                 ec + vec2(LID_HALF_WIDTH * rx, (LID_TOP + LID_SKIN + 0.1) * ry));
        }
    }
    vec2 margin = 2.0 / out_px;
    fragColor = vec4(uncentered_uv(box.xy, aspect) - margin, uncentered_uv(box.zw, aspect) + margin);
}
