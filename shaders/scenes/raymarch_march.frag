// Pass 1 of raymarch (half resolution): sphere-trace a morphing SDF, shade it, and write linear
// colour in rgb and a glow mask in alpha for the upsampling pass.
#include "scene_kit.glsl"

uniform float p_hue = 0.58;     // palette rotation, 0..1
uniform float p_morph = 0.5;    // 0 = metaballs only, 1 = torus only; the bar sweeps around it
uniform float p_swell = 1.0;    // how much the kick inflates the form

const int STEPS = 56;
const float BOUND = 1.8;        // bounding-sphere radius: rays that miss it are never marched

float g_scale;
float g_morph;
mat2 g_spin;     // per-frame rotation of the torus tube
vec3 g_balls[5];

// Polynomial smooth minimum (blend radius k).
float smin(float a, float b, float k) {
    float h = max(k - abs(a - b), 0.0) / k;
    return min(a, b) - h * h * k * 0.25;
}

float sdf(vec3 p) {
    p /= g_scale;
    // Skip whichever shape the morph has fully left (a uniform branch: every pixel agrees).
    float m = 0.0, tor = 0.0;
    if (g_morph < 0.999) {
        m = 1e9;
        for (int i = 0; i < 5; i++) m = smin(m, length(p - g_balls[i]) - 0.42, 0.45);
    }
    if (g_morph > 0.001) {
    // Twisted torus: the tube rotates around the ring, giving a knot-like silhouette.
    // Rotating the tube by twice the angle round the ring, without atan: (c, s) is the unit
    // direction in the ring plane and (c^2 - s^2, 2cs) its double angle.
    float lxz = length(p.xz);
    vec2 cs = p.xz / max(lxz, 1e-4);
    vec2 c2 = vec2(cs.x * cs.x - cs.y * cs.y, 2.0 * cs.x * cs.y);
    vec2 q = vec2(lxz - 0.95, p.y);
    q = g_spin * (mat2(c2.x, c2.y, -c2.y, c2.x) * q);
    tor = length(q * vec2(1.0, 1.8)) / 1.5 - 0.26;
    }
    float d = mix(m, tor, g_morph);
    // Fine ripples with the hats: small, so the SDF stays a valid bound (step scale below).
    vec3 w = sc_sin_turns(p * 1.43 + vec3(0.48, 0.0, -0.32) * u_time);
    d += 0.025 * u_high_env * w.x * w.y * w.z;
    return d * g_scale;
}

vec3 normal_at(vec3 p) {
    const vec2 e = vec2(0.0015, -0.0015);
    return normalize(e.xyy * sdf(p + e.xyy) + e.yyx * sdf(p + e.yyx) + e.yxy * sdf(p + e.yxy) + e.xxx * sdf(p + e.xxx));
}

vec3 env(vec3 dir) {
    // Studio environment for a chrome look: neutral dark room, a hot white softbox overhead and
    // two coloured rim panels (palette colours) left and right.
    float y = dir.y;
    vec3 room = vec3(0.02, 0.02, 0.03) + vec3(0.06) * smoothstep(-0.3, 0.6, y);
    float box = smoothstep(0.55, 0.8, y) * smoothstep(0.9, 0.3, abs(dir.x));
    float left = sc_glow(dir.x + 0.85, 0.2) * smoothstep(-0.4, 0.2, y);
    float right = sc_glow(dir.x - 0.85, 0.2) * smoothstep(-0.4, 0.2, y);
    return room + vec3(1.3) * box + sc_neon(0.0, p_hue) * 1.4 * left + sc_neon(0.45, p_hue) * 1.4 * right;
}

void main() {
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);

    // Scene state: ball paths follow time and hop with the beat; the kick swells the form.
    g_scale = 1.0 + 0.16 * p_swell * u_bass_env + 0.05 * u_beat_pulse;
    g_spin = sc_rot(u_time * 0.4);
    // Over 8 bars the form melts from one shape into the other and back, resting at each end.
    g_morph = clamp(p_morph + 0.8 * sc_sin_turns((u_bar_count + u_bar_phase) / 8.0), 0.0, 1.0);
    float hop = sc_ease_out(u_beat_phase * 2.0) + u_beat_count;
    for (int i = 0; i < 5; i++) {
        float fi = float(i);
        // Paths in turns with fast trig: these run per pixel, and builtin sin/cos are costly.
        float t = (0.35 * u_time + fi * 1.2566 + 0.15 * hop) / SC_TAU;
        vec3 w = sc_sin_turns(vec3(t * 1.1, t * 1.7, t * 0.9 + 0.25) + vec3(fi, 2.0 * fi, 0.5 * fi) / SC_TAU);
        g_balls[i] = 0.55 * vec3(w.x, 0.8 * w.y, w.z);
    }

    // Camera orbits a quarter turn per bar (eased into the downbeat) plus a slow drift.
    float orbit = SC_TAU * 0.25 * (u_bar_count + sc_ease_out(u_bar_phase)) + 0.1 * u_time;
    float ot = orbit / SC_TAU;
    vec3 ro = vec3(3.7 * sc_sin_turns(ot), 1.2 + 0.4 * sc_sin_turns(0.0207 * u_time), 3.7 * sc_cos_turns(ot));
    vec3 fw = normalize(-ro);
    vec3 rt = normalize(cross(fw, vec3(0.0, 1.0, 0.0)));
    vec3 up = cross(rt, fw);
    vec3 rd = normalize(fw * 1.9 + p.x * rt + p.y * up);

    vec3 col = env(rd) * 0.06;
    float glow = 0.0;
    // Pixel footprint per unit of distance (the ray spread of one pixel), for edge coverage.
    float footprint = 1.0 / (1.9 * u_resolution.y);
    // Bounding sphere: most of the frame misses it and costs one intersection.
    float b = dot(ro, rd);
    float disc = b * b - dot(ro, ro) + BOUND * BOUND;
    if (disc > 0.0) {
        float t = max(-b - sqrt(disc), 0.0);
        float tEnd = -b + sqrt(disc);
        float minD = 1e9, tMin = t;
        bool hit = false;
        for (int i = 0; i < STEPS; i++) {
            float d = sdf(ro + rd * t);
            if (d < minD) { minD = d; tMin = t; }
            if (d < 0.5 * footprint * t) { hit = true; break; }
            t += d * 0.9;   // under-step: the ripples make the distance a slight overestimate
            if (t > tEnd) break;
        }
        glow = exp(-max(minD, 0.0) * 12.0);
        // Anti-aliased silhouette: a ray that grazed the form within a pixel footprint is shaded
        // at its closest approach and blended by how much of the pixel it covers.
        float cover = hit ? 1.0 : clamp(1.0 - minD / (1.5 * footprint * tMin), 0.0, 1.0);
        if (cover > 0.0) {
            vec3 pos = ro + rd * (hit ? t : tMin);
            vec3 n = normal_at(pos);
            vec3 refl = reflect(rd, n);
            vec3 key = normalize(vec3(0.0, 1.0, 0.2));
            float diff = clamp(dot(n, key), 0.0, 1.0);
            // Cheap AO: two probes along the normal.
            float ao = clamp(0.5 + 0.25 * (sdf(pos + n * 0.12) / 0.12 + sdf(pos + n * 0.3) / 0.3), 0.0, 1.0);
            float f1 = 1.0 - clamp(dot(-rd, n), 0.0, 1.0);
            float fres = f1 * f1 * f1 * f1;
            vec3 tint = sc_neon(0.25 + 0.3 * u_brightness, p_hue);
            vec3 surf = tint * tint * 0.06 * (0.3 + diff) * ao;
            surf += env(refl) * mix(vec3(0.55), vec3(1.0), fres) * ao * (0.8 + 0.4 * tint);
            col = mix(col, surf, cover);
            glow *= 1.0 - cover;
        }
    }
    fragColor = vec4(col, glow);
}
