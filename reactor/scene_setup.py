"""What a show draws, from typed choices: the preset, and the reference image and depth it animates.

Shared by ``reactor render`` and ``reactor live``; the command line turns flags into these
arguments (the messages name the flags, which both commands share).
"""

from __future__ import annotations

from reactor.errors import UsageError

__all__ = ["DEFAULT_IMAGE_PRESET", "DEFAULT_ABSTRACT_PRESET", "DEMO_PRESET", "resolve_preset", "prepare_images"]

DEFAULT_IMAGE_PRESET = "pulse"
DEFAULT_ABSTRACT_PRESET = "tunnel"
DEMO_PRESET = "performer"


def resolve_preset(*, preset: str | None = None, scene: str | None = None, demo: bool = False,
                   have_image: bool = False):
    """The preset asked for: a preset name/file, a scene's default preset, or the default for
    what was given (the performer for the demo without an image, else pulse/tunnel)."""
    from reactor.presets import load_preset, preset_from_scene

    if preset and scene:
        raise UsageError("give --preset or --scene, not both")
    if preset:
        return load_preset(preset)
    if scene:
        return preset_from_scene(scene)
    if demo and not have_image:
        return load_preset(DEMO_PRESET)
    return load_preset(DEFAULT_IMAGE_PRESET if have_image else DEFAULT_ABSTRACT_PRESET)


def prepare_images(preset, *, width_px: int, height_px: int, image_path: str | None = None,
                   depth_path: str | None = None, fit: str = "cover",
                   mouth: tuple[float, float, float, float] | None = None, demo: bool = False):
    """Load and fit the reference image and depth map; apply a mouth region.

    Parameters
    ----------
    preset : reactor.presets.Preset
    width_px, height_px : int
        Output size the images are fitted to.
    image_path, depth_path : str, optional
        Reference image (or ``video.mp4@12.5``) and depth map (white = near).
    fit : {"face", "cover", "contain"}
        ``face``: frame the faces found (else the salient region); see ``reactor.framing``.
    mouth : (x, y, w, h), optional
        Normalised mouth region (origin top-left) for presets that have one.
    demo : bool
        Without an image, an image preset uses the built-in demo picture, depth and mouth.

    Returns
    -------
    (image, depth, preset)
        ``image``/``depth`` arrays or None; the preset with the region defaults applied.
    """
    from reactor import demo_image, imageio

    image = depth = pic = None
    if image_path:  # framed around the subject; a face rigs the lip-sync (reactor.picture)
        from reactor.picture import prepare_picture, tell

        pic = prepare_picture(imageio.load_image(image_path), preset, width_px=width_px, height_px=height_px,
                              fit=fit)
        image, preset = pic.image, pic.preset
        tell(pic.note)
    elif preset.uses_image():
        if not demo:
            raise UsageError(f"preset '{preset.name}' animates an image: give --image IMG "
                             f"(or use --demo, or an abstract preset; see 'reactor presets')")
        image = demo_image.demo_image(width_px, height_px)
        depth = demo_image.demo_depth(width_px, height_px)
        regions = demo_image.demo_regions(width_px, height_px)
        preset = _with_region(preset, "mouth", regions["mouth"], strict=False)
        if "eye_w" in preset.params:
            (lx, ly), (rx, ry) = regions["eye_l"], regions["eye_r"]
            preset = preset.with_param_defaults(eye_lx=lx, eye_ly=ly, eye_rx=rx, eye_ry=ry, eye_w=regions["eye_w"])
    if depth_path:
        depth_src = imageio.load_image(depth_path)[..., :3].mean(axis=2)
        # framed exactly as the picture (same crop around the face), or plainly without one
        depth = (pic.frame_depth(depth_src) if pic is not None
                 else imageio.fit(depth_src, width_px, height_px, mode="cover" if fit == "face" else fit))
    if mouth is not None:
        preset = _with_region(preset, "mouth", mouth, strict=True)
    return image, depth, preset


def _with_region(preset, name: str, region, *, strict: bool):
    keys = [f"{name}_{k}" for k in ("x", "y", "w", "h")]
    if not all(k in preset.params for k in keys):
        if strict:
            raise UsageError(f"--{name} applies to presets with a {name} region (e.g. 'performer'); "
                             f"'{preset.name}' has none")
        return preset
    return preset.with_param_defaults(**dict(zip(keys, region)))
