// Pass 1 of tunnel (1x1 pixel): how far along the tunnel we are. Travel is integrated speed
// (speed follows the level and lurches on kicks and beats: hits jump, then decay, so the travel
// surges forward and eases off), so it is state: this pass adds this frame's step to its own
// previous value (u_prev), wrapped to 0..1 because the wall pattern repeats once per unit.
uniform float p_speed = 1.0;      // base travel speed, tunnel units per second

void main() {
    float speed = p_speed * (0.3 + 0.7 * u_level) + 0.6 * u_bass_hit + 0.5 * u_beat_pulse;
    fragColor = vec4(fract(texelFetch(u_prev, ivec2(0, 0), 0).r + speed * u_dt), 0.0, 0.0, 1.0);
}
