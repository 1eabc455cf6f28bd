"""`support-console-gui`: the window, with the queue's first screen painted before anything heavy loads.

Only Qt, the standard library and the small ``console.store.home`` / ``console.i18n`` / ``views.look`` /
``views.instance`` / ``views.first_screen`` / ``views.startup_trace`` modules are imported before the last
session's first screen is on screen (in the language it was taken in); the database layer and the real
window (``views.app``) follow, and take its place once the live queue is read. Before anything is painted, a
workspace already open in another window is brought to the front instead (``views.instance``). Nothing
imports this module back.
"""

from __future__ import annotations

import argparse
import sys

from views.startup_trace import trace


def main(argv: list[str] | None = None) -> int:
    from console import i18n
    from console.i18n import _

    i18n.choose(i18n.AUTO)  # the help in the session's language; the workspace's setting decides the window's
    parser = argparse.ArgumentParser(
        prog="support-console-gui", description=_("Open the Support Console window."), allow_abbrev=False
    )
    parser.add_argument("--home", metavar="DIR", help=_("workspace folder (settings and local cache)"))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from console.store.home import resolve_home
    from views import first_screen, instance
    from views.look import apply_language, create_application

    home = resolve_home(args.home)
    app = create_application()
    claim = instance.Instance(home)
    holder = claim.claim()
    if holder is not None:  # another window has this workspace: it comes to the front, this launch ends
        return instance.tell(holder)
    early = first_screen.load(home)
    splash = None
    if early is not None:
        i18n.choose(early.language if early.language in i18n.LANGUAGES else "en")  # the words it was taken in
        apply_language(app)  # and mirrored for Persian and Arabic (the workspace's setting decides next)
        splash = first_screen.SnapshotWindow(home, early)
        splash.show()
        splash.repaint()
        app.processEvents()
        trace("painted (snapshot)")

    from console.errors import ConsoleError
    from console.store.workspace import Workspace
    from views.app import run

    try:
        workspace = Workspace.open(home)
    except ConsoleError as error:
        print(f"support-console: {error}", file=sys.stderr)
        return 1
    return run(workspace, splash, claim)


if __name__ == "__main__":
    sys.exit(main())
