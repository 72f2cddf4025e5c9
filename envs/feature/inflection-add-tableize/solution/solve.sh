#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index bdef308..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -334,6 +334,23 @@ def singularize(word: str) -> str:
     return word
 
 
+def tableize(word: str) -> str:
+    """
+    Create the name of a table like Rails does for models to table names. This
+    method uses the :func:`pluralize` method on the last word in the string.
+
+    Examples::
+
+        >>> tableize('RawScaledScorer')
+        'raw_scaled_scorers'
+        >>> tableize('egg_and_ham')
+        'egg_and_hams'
+        >>> tableize('fancyCategory')
+        'fancy_categories'
+    """
+    return pluralize(underscore(word))
+
+
 def titleize(word: str) -> str:
     """
     Capitalize all the words and replace some characters in the string to
AGENTGYM_PATCH
