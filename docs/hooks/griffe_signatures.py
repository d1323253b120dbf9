"""A Griffe extension (mkdocs.yml: mkdocstrings ``extensions``) for the API pages: a function decorated
with ``polylr.testing.keywords.shared_keywords`` gets the parameters of its live signature (the shared
keywords written out, as ``help()`` shows them) instead of the ``o: Options`` its source declares."""

from __future__ import annotations

import inspect

import griffe

DECORATOR = "shared_keywords("


class SharedKeywordSignatures(griffe.Extension):
    def on_function_instance(self, *, func: griffe.Function, **kwargs) -> None:
        if not any(str(d.value).startswith(DECORATOR) for d in func.decorators):
            return
        own = [p for p in func.parameters if p.name != "o"]  # as parsed (annotations keep their links)
        live = inspect.signature(griffe.dynamic_import(func.path)).parameters
        shared = [
            griffe.Parameter(p.name, kind=griffe.ParameterKind.keyword_only, annotation=p.annotation, default=repr(p.default))
            for p in list(live.values())[len(own):]
        ]
        func.parameters = griffe.Parameters(*own, *shared)
