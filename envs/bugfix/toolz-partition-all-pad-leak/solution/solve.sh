#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py
index ab03ac9..1ab5485 100644
--- a/toolz/itertoolz.py
+++ b/toolz/itertoolz.py
@@ -728,7 +728,7 @@ def partition_all(n, seq):
     for item in it:
         yield prev
         prev = item
-    if prev[0] is no_pad:
+    if prev[-1] is no_pad:
         try:
             # If seq defines __len__, then
             # we can quickly calculate where no_pad starts
AGENTGYM_PATCH
