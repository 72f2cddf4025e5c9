#!/bin/bash
# Reference solution: apply the fix as a patch.
set -euo pipefail
cd /workspace
git apply --whitespace=nowarn <<'AGENTGYM_PATCH'
diff --git a/more_itertools/recipes.py b/more_itertools/recipes.py
index 67f76fa..ba5cb02 100644
--- a/more_itertools/recipes.py
+++ b/more_itertools/recipes.py
@@ -37,6 +37,7 @@ __all__ = [
     'before_and_after',
     'consume',
     'convolve',
+    'dot_product',
     'dotproduct',
     'first_true',
     'factor',
@@ -92,7 +93,7 @@ else:
     _zip_strict = partial(zip, strict=True)
 
 # math.sumprod is available for Python 3.12+
-_sumprod = getattr(math, 'sumprod', lambda x, y: dotproduct(x, y))
+_sumprod = getattr(math, 'sumprod', lambda x, y: dot_product(x, y))
 
 
 def take(n, iterable):
@@ -263,7 +264,7 @@ def ncycles(iterable, n):
     return chain.from_iterable(repeat(tuple(iterable), n))
 
 
-def dotproduct(vec1, vec2):
+def dot_product(vec1, vec2):
     """Returns the dot product of the two iterables.
 
     >>> dotproduct([10, 10], [20, 20])
@@ -273,6 +274,18 @@ def dotproduct(vec1, vec2):
     return sum(map(operator.mul, vec1, vec2))
 
 
+def dotproduct(vec1, vec2):
+    """Deprecated alias of :func:`dot_product`."""
+    import warnings
+
+    warnings.warn(
+        'dotproduct is deprecated; use dot_product',
+        DeprecationWarning,
+        stacklevel=2,
+    )
+    return dot_product(vec1, vec2)
+
+
 def flatten(listOfLists):
     """Return an iterator flattening one level of nesting in a list of lists.
 
AGENTGYM_PATCH
