#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/src/cachetools/keys.py b/src/cachetools/keys.py
index 2b1e474..8689b17 100644
--- a/src/cachetools/keys.py
+++ b/src/cachetools/keys.py
@@ -53,6 +53,7 @@ def typedkey(*args, **kwargs):
 
     key = hashkey(*args, **kwargs)
     key += tuple(type(v) for v in args)
+    key += tuple(type(v) for _, v in sorted(kwargs.items()))
     return key
 
 
AGENTGYM_PATCH
