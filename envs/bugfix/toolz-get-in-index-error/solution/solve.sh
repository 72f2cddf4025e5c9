#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/dicttoolz.py b/toolz/dicttoolz.py
index 077b5fa..457bc26 100644
--- a/toolz/dicttoolz.py
+++ b/toolz/dicttoolz.py
@@ -333,7 +333,7 @@ def get_in(keys, coll, default=None, no_default=False):
     """
     try:
         return reduce(operator.getitem, keys, coll)
-    except (KeyError, TypeError):
+    except (KeyError, IndexError, TypeError):
         if no_default:
             raise
         return default
AGENTGYM_PATCH
