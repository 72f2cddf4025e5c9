#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/tabulate/__init__.py b/tabulate/__init__.py
index 503df34..1529ee3 100644
--- a/tabulate/__init__.py
+++ b/tabulate/__init__.py
@@ -8,6 +8,7 @@ from functools import reduce, partial
 import io
 import re
 import math
+import warnings
 import textwrap
 import dataclasses
 
@@ -21,7 +22,7 @@ def _is_file(f):
     return isinstance(f, io.IOBase)
 
 
-__all__ = ["tabulate", "tabulate_formats", "simple_separated_format"]
+__all__ = ["tabulate", "tabulate_formats", "separated_format", "simple_separated_format"]
 try:
     from .version import version as __version__  # noqa: F401
 except ImportError:
@@ -769,10 +770,10 @@ _float_with_thousands_separators = re.compile(
 )
 
 
-def simple_separated_format(separator):
+def separated_format(separator):
     """Construct a simple TableFormat with columns separated by a separator.
 
-    >>> tsv = simple_separated_format("\\t") ; \
+    >>> tsv = separated_format("\\t") ; \
         tabulate([["foo", 1], ["spam", 23]], tablefmt=tsv) == 'foo \\t 1\\nspam\\t23'
     True
 
@@ -789,6 +790,16 @@ def simple_separated_format(separator):
     )
 
 
+def simple_separated_format(separator):
+    """Deprecated alias of :func:`separated_format`."""
+    warnings.warn(
+        "simple_separated_format is deprecated; use separated_format",
+        DeprecationWarning,
+        stacklevel=2,
+    )
+    return separated_format(separator)
+
+
 def _isnumber_with_thousands_separator(string):
     """
     >>> _isnumber_with_thousands_separator(".")
AGENTGYM_PATCH
