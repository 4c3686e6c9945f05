// Pass 2 of tunnel (full resolution): the tunnel at the travel pass's distance (u_pass_travel).
// It reads nothing back, so it can dither itself straight into an 8-bit target or a live window.
#include "scene_kit.glsl"

uniform float p_hue = 0.55;        // palette rotation, 0..1
uniform float p_intensity = 1.0;  // overall neon brightness

const float RINGS_PER_UNIT = 3.0;
const float PANELS_AROUND = 16.0;

void main() {
    // Fractions of the frame height, centred; the vanishing point drifts on a slow path.
    vec2 p = (v_uv - 0.5) * vec2(u_aspect, 1.0);
    vec2 centre = 0.06 * vec2(sc_sin_turns(u_time * 0.05), sc_cos_turns(u_time * 0.037));
    p -= centre;

    float travel = texelFetch(u_pass_travel, ivec2(0, 0), 0).r;  // 0..1, this frame's

    // Walls breathe with the sub: a larger radius means a closer wall, a punch-in.
    float radius = 0.32 * (1.0 + 0.18 * u_sub_env);
    float r = length(p);
    float z = radius / max(r, 1e-4);            // distance along the tunnel to this wall point
    float ang = sc_atan2(p.y, p.x) / SC_TAU + 0.5;  // 0..1 around

    // Whole tunnel rolls an eighth of a turn per bar, eased so it lands on the downbeat.
    float roll = (u_bar_count + sc_ease_out(u_bar_phase * 1.6)) * 0.125;
    float v = z + travel;
    float u = ang + roll;

    // Derivatives without the atan seam: take the smaller of two seam positions.
    float du = min(fwidth(u), fwidth(fract(u + 0.5)));
    float dv = fwidth(v);

    vec2 cell = vec2(u * PANELS_AROUND, v * RINGS_PER_UNIT);
    vec2 id = floor(cell);
    vec2 f = fract(cell) - 0.5;
    vec2 aa = vec2(du * PANELS_AROUND, dv * RINGS_PER_UNIT);

    // Grid lines from the distance to the cell edge, measured in pixels (edge / aa), so the
    // core is one AA'd hairline and the halo is a fixed fraction of the frame height.
    vec2 edge = 0.5 - abs(f);
    vec2 px = edge / max(aa, vec2(1e-5));
    vec2 hair = clamp(vec2(1.6) - px, 0.0, 1.0);
    vec2 halo = vec2(sc_glow(px.x, 0.004 * u_resolution.y), sc_glow(px.y, 0.004 * u_resolution.y));
    // Where a pixel covers several cells (the vanishing point) fade to the pattern's average
    // instead of aliasing.
    float fadeU = clamp(1.5 - aa.x * 3.0, 0.0, 1.0);
    float fadeV = clamp(1.5 - aa.y * 3.0, 0.0, 1.0);
    float lineU = mix(0.08, hair.x + 0.5 * halo.x, fadeU);
    float lineV = mix(0.12, hair.y + 0.6 * halo.y, fadeV);

    // Spectrum around the wall, fixed to the screen and mirrored left/right: bass on the floor,
    // treble on the ceiling.
    float around = fract((id.x + 0.5) / PANELS_AROUND - roll - 0.25);
    float bin = 1.0 - abs(around * 2.0 - 1.0);
    float spec = sc_spectrum(u_spectrum, bin * 0.9 + 0.02);
    // mod(): the atan seam adds a whole turn to id.x, which must not change the hash.
    float flick = sc_hash12(vec2(mod(id.x, PANELS_AROUND), mod(id.y, RINGS_PER_UNIT)));
    // Only some panels take part (flick), and only loud bins light them: neon on dark, not a wall.
    float panel = smoothstep(0.45, 0.95, spec) * smoothstep(0.35, 0.8, flick);
    // Panels glow with a soft inner falloff rather than a flat fill.
    float inner = smoothstep(0.5, 0.1, max(abs(f.x), abs(f.y))) * fadeU * fadeV;

    // Everything along v must repeat once per unit (travel wraps), hence mod().
    vec3 ringCol = sc_neon(0.3 * mod(id.y, RINGS_PER_UNIT) / RINGS_PER_UNIT + 0.05 * u_time, p_hue);
    vec3 panelCol = sc_neon(0.55 + 0.5 * bin + 0.1 * u_brightness, p_hue);

    // Ring flash on the beat: jumps and decays (u_beat_pulse), brightest on downbeats.
    float flash = 0.7 + 0.9 * u_beat_pulse + 0.8 * u_downbeat_pulse;
    vec3 col = ringCol * lineV * flash * 0.9;
    col += panelCol * lineU * (0.3 + 0.5 * spec);
    col += panelCol * panel * inner * 0.9;

    // Depth fog toward the vanishing point, and a light at the end that swells with the bass.
    float fog = 1.0 / (1.0 + 0.25 * z + 0.02 * z * z);
    col *= fog * p_intensity;
    float core = sc_glow(r, 0.025 + 0.025 * u_bass_env);
    col += sc_neon(0.05 * u_time + 0.3, p_hue) * core * (0.25 + 0.6 * u_level);

    fragColor = vec4(sc_tonemap(col), 1.0);
}
