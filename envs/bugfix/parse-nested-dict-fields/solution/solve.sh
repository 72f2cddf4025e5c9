#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/parse.py b/parse.py
index 95e2733..51a6953 100644
--- a/parse.py
+++ b/parse.py
@@ -557,7 +557,7 @@ class Parser(object):
 
             if subkeys:
                 for subkey in re.findall(r"\[[^]]+]", subkeys):
-                    d = result.setdefault(k, {})
+                    d = d.setdefault(k, {})
                     k = subkey[1:-1]
 
             # assign the value to the last key
AGENTGYM_PATCH
