"""The user's picture, ready for a scene: loaded, framed around its subject, face rigged.

Used by ``reactor render --image``: ``prepare_picture`` frames the picture (``reactor.framing``)
and sets the face's parameters in presets that have them: the mouth, jaw, eyes and head of
``performer`` (lip-sync on any photo without ``--mouth``), the zoom centre of ``pulse``.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import numpy as np

from reactor.framing import face_params, frame_image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Picture:
    image: np.ndarray
    preset: object
    faces: int
    mode: str
    note: str
    framed: object = None

    def frame_depth(self, depth: np.ndarray) -> np.ndarray:
        """A depth map of the same picture, framed exactly as the picture was."""
        return self.framed.place_like(depth)


def prepare_picture(image: np.ndarray, preset, *, width_px: int, height_px: int, fit: str = "face") -> Picture:
    """Frame ``image`` for a ``width_px`` x ``height_px`` clip and rig the preset to its face.

    Returns the framed picture, the preset (with face parameters where it has them), how many
    faces were found, the fit used and a one-line note for the user.
    """
    from reactor.faces import detector_available

    framed = frame_image(image, width_px, height_px, fit=fit)
    note = ""
    if fit == "face":
        if not detector_available():
            note = "no face detector installed (pip install 'opencv-python-headless<5'): framed the centre"
        elif not framed.faces:
            note = "no face found: framed the most salient region"
        else:
            note = f"{len(framed.faces)} face(s) found: framed the {'faces' if len(framed.faces) > 1 else 'face'}"
    face = framed.faces[0] if framed.faces else None
    if face is not None and _in_frame(face):
        params = {k: v for k, v in face_params(face).items() if k in preset.params}
        if params:
            preset = preset.with_param_defaults(**params)
        rig = ("mouth, eyes and head rigged from the face" if "eye_w" in params else
               "the zoom centres on the face" if "center_x" in params else "")
        note = "; ".join(x for x in (note, rig) if x)
    elif face is not None:
        note = f"a face was found but --fit {fit} cuts it off: nothing rigged (--fit face keeps it)"
    return Picture(image=framed.image, preset=preset, faces=len(framed.faces), mode=framed.mode, note=note,
                   framed=framed)


def _in_frame(face) -> bool:
    """Eyes and mouth inside the frame (a cover crop can cut them off: then nothing is rigged)."""
    x, y, w, h = face.mouth
    pts = [face.left_eye, face.right_eye, (x, y), (x + w, y + h)]
    return all(0.0 <= px <= 1.0 and 0.0 <= py <= 1.0 for px, py in pts)


def tell(note: str) -> None:
    """One line for the user on stderr (the CLI's way of saying what it did)."""
    if note:
        print(f"reactor: {note}", file=sys.stderr)
