#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index 455f6d8..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -410,6 +410,7 @@ def underscore(word: str) -> str:
         'IoError'
 
     """
+    word = re.sub(r"([A-Z]+)([A-Z][a-z])", r'\1_\2', word)
     word = re.sub(r"([a-z\d])([A-Z])", r'\1_\2', word)
     word = word.replace("-", "_")
     return word.lower()
AGENTGYM_PATCH
