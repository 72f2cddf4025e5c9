#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index c18a0b6..4986a19 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -201,24 +201,24 @@ def humanize(word: str) -> str:
     return word
 
 
-def ordinal(number: int) -> str:
+def ordinal_suffix(number: int) -> str:
     """
     Return the suffix that should be added to a number to denote the position
     in an ordered sequence such as 1st, 2nd, 3rd, 4th.
 
     Examples::
 
-        >>> ordinal(1)
+        >>> ordinal_suffix(1)
         'st'
-        >>> ordinal(2)
+        >>> ordinal_suffix(2)
         'nd'
-        >>> ordinal(1002)
+        >>> ordinal_suffix(1002)
         'nd'
-        >>> ordinal(1003)
+        >>> ordinal_suffix(1003)
         'rd'
-        >>> ordinal(-11)
+        >>> ordinal_suffix(-11)
         'th'
-        >>> ordinal(-1021)
+        >>> ordinal_suffix(-1021)
         'st'
 
     """
@@ -254,7 +254,19 @@ def ordinalize(number: int) -> str:
         '-1021st'
 
     """
-    return "{}{}".format(number, ordinal(number))
+    return "{}{}".format(number, ordinal_suffix(number))
+
+
+def ordinal(number: int) -> str:
+    """Deprecated alias of :func:`ordinal_suffix`."""
+    import warnings
+
+    warnings.warn(
+        "inflection.ordinal is deprecated; use inflection.ordinal_suffix",
+        DeprecationWarning,
+        stacklevel=2,
+    )
+    return ordinal_suffix(number)
 
 
 def parameterize(string: str, separator: str = '-') -> str:
AGENTGYM_PATCH
