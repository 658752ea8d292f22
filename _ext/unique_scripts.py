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
        # Same file and same attributes (an inline script's body is one): the two copies of
        # sphinx-thebe's script differ only in their filename, None for one and "" for the other.
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    """Register the handler."""
    # Early: html-page-context stops at the first handler that returns a template, so a late
    # handler may never run; the duplicated scripts are page-independent and already present.
    app.connect("html-page-context", _unique_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
