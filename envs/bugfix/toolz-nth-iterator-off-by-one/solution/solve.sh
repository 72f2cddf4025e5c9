#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/toolz/itertoolz.py b/toolz/itertoolz.py
index 4d40cdb..1ab5485 100644
--- a/toolz/itertoolz.py
+++ b/toolz/itertoolz.py
@@ -395,7 +395,7 @@ def nth(n, seq):
     if isinstance(seq, (tuple, list, Sequence)):
         return seq[n]
     else:
-        return next(itertools.islice(seq, n - 1, None))
+        return next(itertools.islice(seq, n, None))
 
 
 def last(seq):
AGENTGYM_PATCH
