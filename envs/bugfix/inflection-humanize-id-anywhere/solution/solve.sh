#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/inflection/__init__.py b/inflection/__init__.py
index d6b0129..c18a0b6 100644
--- a/inflection/__init__.py
+++ b/inflection/__init__.py
@@ -194,7 +194,7 @@ def humanize(word: str) -> str:
         'Author'
 
     """
-    word = re.sub(r"_id", "", word)
+    word = re.sub(r"_id$", "", word)
     word = word.replace('_', ' ')
     word = re.sub(r"(?i)([a-z\d]*)", lambda m: m.group(1).lower(), word)
     word = re.sub(r"^\w", lambda m: m.group(0).upper(), word)
AGENTGYM_PATCH
