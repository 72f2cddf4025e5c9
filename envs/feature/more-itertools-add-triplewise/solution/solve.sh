#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/more_itertools/recipes.py b/more_itertools/recipes.py
index f5f0628..67f76fa 100644
--- a/more_itertools/recipes.py
+++ b/more_itertools/recipes.py
@@ -74,6 +74,7 @@ __all__ = [
     'take',
     'totient',
     'transpose',
+    'triplewise',
     'unique',
     'unique_everseen',
     'unique_justseen',
@@ -792,6 +793,22 @@ def before_and_after(predicate, it):
     return true_iterator(), remainder_iterator
 
 
+def triplewise(iterable):
+    """Return overlapping triplets from *iterable*.
+
+    >>> list(triplewise('ABCDE'))
+    [('A', 'B', 'C'), ('B', 'C', 'D'), ('C', 'D', 'E')]
+
+    """
+    # This deviates from the itertools documentation reciple - see
+    # https://github.com/more-itertools/more-itertools/issues/889
+    t1, t2, t3 = tee(iterable, 3)
+    next(t3, None)
+    next(t3, None)
+    next(t2, None)
+    return zip(t1, t2, t3)
+
+
 def _sliding_window_islice(iterable, n):
     # Fast path for small, non-zero values of n.
     iterators = tee(iterable, n)
AGENTGYM_PATCH
