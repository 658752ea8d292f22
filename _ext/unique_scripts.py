"""Each script once per page: sphinx-thebe adds its inline script twice.

Jupyter Book 1 registers sphinx-thebe's ``THEBE_JS_URL`` script once itself and once through the
extension, so every page declared the same ``const`` twice and the browser logged "Identifier
'THEBE_JS_URL' has already been declared". This extension drops a script that is already on the
page (same file, same inline body, same attributes) just before the page is written.
"""


def _unique_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(script), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    """Register the handler; it runs after every extension has added its scripts."""
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
