// performer_rig.glsl: the performer's parameters and the face geometry both of its passes use
// (the region pass bounds the pixels the warp can move; the show pass warps them).
// Units: "height units", centred on the frame, y up (math.glsl's centered_uv).

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
uniform float p_spread = 1.0;       // lip spread/rounding with the vowel (u_vowel_spread)
uniform float p_chin_y = 0.0;       // chin, normalized from the top; 0 = about 2.3 mouth heights below
uniform float p_eye_lx = 0.0;       // eye centres, normalized, origin top-left; 0 = no blinks
uniform float p_eye_ly = 0.0;
uniform float p_eye_rx = 0.0;
uniform float p_eye_ry = 0.0;
uniform float p_eye_w = 0.0;        // eye width, normalized to the frame width
uniform float p_blink = 1.0;        // blinks per ~4 s (0 = never)

// The warp's reach, shared by the warp and the region pass that bounds it. Head: in head half
// sizes; mouth: in mouth half widths (x) and half heights (y); lids: in eye half heights.
const float HEAD_MASK_END = 1.45;  // the head's mask (its nod and sway) ends at this radius
const float JAW_WIDTH = 2.2;       // the jaw moves as a block out to this, across the mouth
const float UPPER_LIP_LIFT = 0.25; // the upper lip lifts by this share of the opening
const float NOSE_FADE = 4.0;       // above the lip line the lift fades out over this
const float LIPS_NEAR = 3.0;       // the lips' spread acts within this of the lip line
const float CHIN_FADE = 1.5;       // below, the jaw's drop fades out at this times the chin depth
const float LID_HALF_WIDTH = 1.25; // a lid spans this times the eye's half width either side
const float LID_TOP = 1.1;         // the open lid's edge above the eye centre
const float LID_SKIN = 1.6;        // the skin above the lid that stretches down over the eye
const float LID_DROP = 2.3;        // how far a closed lid comes down

// Region (x, y, w, h, top-left origin, normalized) -> centre and half size in height units.
void region_hu(vec4 r, float aspect, out vec2 centre, out vec2 half_size) {
    centre = centered_uv(vec2(r.x + 0.5 * r.z, 1.0 - (r.y + 0.5 * r.w)), aspect);
    half_size = max(vec2(0.5 * r.z * aspect, 0.5 * r.w), vec2(1e-3));  // a zero-size region must not divide by 0
}

// Mouth centre and half size, head centre and half size, in height units of a frame of `aspect`.
void face_rig(float aspect, out vec2 mc, out vec2 mh, out vec2 hc, out vec2 hh) {
    region_hu(vec4(p_mouth_x, p_mouth_y, p_mouth_w, p_mouth_h), aspect, mc, mh);
    if (p_head_w > 0.0) {
        region_hu(vec4(p_head_x, p_head_y, p_head_w, p_head_h), aspect, hc, hh);
    } else {  // proportions of a face: the head is ~10 mouth-heights tall, centred above the mouth
        hh = vec2(max(1.8 * mh.x, 0.6 * 5.1 * mh.y), 5.1 * mh.y);
        hc = mc + vec2(0.0, 3.2 * 2.0 * mh.y);
    }
}

// How far below the lip line the jaw moves (to the chin), in height units.
float chin_depth(vec2 mc, vec2 mh) {
    return p_chin_y > 0.0 ? max(mc.y - (0.5 - p_chin_y), 1.5 * mh.y) : 4.6 * mh.y;
}
