"""Scene dialect front-ends: native, Shadertoy and ISF.

Each front-end reads a user's file(s) and returns one ``SceneInfo`` (``reactor.render.scene_spec``):
complete GLSL sources with a line map back to the user's files, pass specs (targets, sizes,
formats, persistence) and an explicit table from each uniform and texture to its data source.
The renderer binds from that table only; it knows nothing of any dialect's naming convention.
"""
