#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index 70e5b21..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -141,7 +141,7 @@ def _irregular(singular: str, plural: str) -> None:
         ))
 
 
-def camelize(string: str, uppercase_first_letter: bool = False) -> str:
+def camelize(string: str, uppercase_first_letter: bool = True) -> str:
     """
     Convert strings to CamelCase.
 
AGENTGYM_PATCH
