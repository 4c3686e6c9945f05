// trails_shape.glsl: the size of trails' shape, shared by its region pass and its output pass.
// Units: frame heights from the centre.

// Circumradius of the polygon: swells with the bass and on the beat.
float trails_size() { return 0.13 + 0.1 * u_bass_env + 0.05 * u_beat_pulse; }

// Half width of the polygon's core line, and how far its glow reaches from the edge.
float trails_line_width() { return 0.002 + 0.002 * u_mid_env; }
const float TRAILS_GLOW = 0.012;

// Radius of the beads on its corners: grows with the highs and on onsets.
float trails_bead_radius() { return 0.015 + 0.012 * u_high_env + 0.012 * u_onset; }
