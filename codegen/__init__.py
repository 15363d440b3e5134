"""The code generator of the SDK (never shipped): OpenAPI documents → IR → emitters → writer.

``python -m codegen`` regenerates every generated module; ``python -m codegen --check`` only
reports the files that differ or are orphaned.
"""

# Bumped whenever the generator's output changes for the same documents.
GENERATOR_VERSION = "1.0.0"
