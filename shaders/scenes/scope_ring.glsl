// scope_ring.glsl: where scope's ring is, shared by its region pass and its output pass.
// Units: frame heights from the centre, y up. p_gain is the trace amplitude parameter.

uniform float p_gain = 1.0;          // trace amplitude

const float REACH = 0.03;  // farthest a trace lights a pixel, frame heights
const vec2 SCOPE_RING_CENTRE = vec2(0.0, 0.07);

// Radius of the ring at rest: swells with the bass and on the beat.
float scope_ring_radius() { return 0.21 + 0.04 * u_bass_env + 0.03 * u_beat_pulse; }

// How far the waveform pushes the ring in and out.
float scope_ring_amp() { return 0.09 * p_gain * (0.6 + 0.6 * u_level); }
