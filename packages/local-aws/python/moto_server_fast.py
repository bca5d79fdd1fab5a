"""moto_server with Reflex's patches (reflex_moto): a drop-in for `moto_server`, same arguments.

    python moto_server_fast.py -H 127.0.0.1 -p 5000

startMoto() in ../src/moto.ts runs it. What each patch does, and which moto version it was written for, is
in its module under reflex_moto/patches/; how they are checked against the installed moto is in ../README.md.
"""

import os
import sys

if __name__ == "__main__":
    # Run from the source tree: compiled files would land next to the sources.
    sys.dont_write_bytecode = True
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)

    from reflex_moto import apply_patches
    from reflex_moto.exit_with_parent import exit_with_parent

    exit_with_parent()
    apply_patches(defer=True)
    from moto.server import main

    main(sys.argv[1:])
